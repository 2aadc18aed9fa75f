/**
 * The page signs in with an API key but never keeps it: it mints a dashboard session from it
 * (POST /api/sessions, 12 hours, its own rate budget) and keeps only the session token, in
 * `sessionStorage`: it survives a reload but not closing the tab, is never written to
 * `localStorage`, a cookie or the URL, and is never logged.
 */
const STORAGE_KEY = 'encrata.webhooks.session';

/** `enc_live_` followed by 32 letters or digits (contract §1). */
export const API_KEY_PATTERN = /^enc_live_[A-Za-z0-9]{32}$/;
/** A dashboard session token (docs/api.md, "Dashboard sessions"). */
export const SESSION_TOKEN_PATTERN = /^enc_sess_[A-Za-z0-9]{43}$/;

export interface StoredSession {
  token: string;
  expires_at: string;
}

export function loadSession(): StoredSession | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { token, expires_at } = parsed as Record<string, unknown>;
    if (typeof token !== 'string' || typeof expires_at !== 'string') return null;
    if (!SESSION_TOKEN_PATTERN.test(token) || !(Date.parse(expires_at) > Date.now())) return null;
    return { token, expires_at };
  } catch {
    // Storage can be disabled by the browser; then the user signs in again after a reload.
    return null;
  }
}

export function saveSession(session: StoredSession): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Without storage the session still works for this page view.
  }
}

export function clearSession(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
