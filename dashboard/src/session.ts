/**
 * The API key lives in `sessionStorage` only: it survives a reload but not closing the tab, is
 * never written to `localStorage`, a cookie or the URL, and is never logged.
 */
const STORAGE_KEY = 'encrata.webhooks.apiKey';

/** `enc_live_` followed by 32 letters or digits (contract §1). */
export const API_KEY_PATTERN = /^enc_live_[A-Za-z0-9]{32}$/;

export function loadApiKey(): string | null {
  try {
    const key = sessionStorage.getItem(STORAGE_KEY);
    return key && API_KEY_PATTERN.test(key) ? key : null;
  } catch {
    // Storage can be disabled by the browser; then the user signs in again after a reload.
    return null;
  }
}

export function saveApiKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Without storage the key still works for this page view.
  }
}

export function clearApiKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
