import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiClient, ApiError, startSession, type Webhook } from '../api.ts';
import { API_KEY_PATTERN, type StoredSession } from '../session.ts';
import { Spinner } from './bits.tsx';

export interface SignInProps {
  /** Why the user is here again (e.g. the key was revoked), shown above the form. */
  notice: string | null;
  onSignedIn: (session: StoredSession, webhooks: Webhook[]) => void;
}

/**
 * Paste an API key: the page mints a dashboard session from it (its own rate budget, 12 hours),
 * lists the workspace's webhooks with the session, and forgets the key.
 */
export function SignIn({ notice, onSignedIn }: SignInProps) {
  const [key, setKey] = useState('');
  const [reveal, setReveal] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) return fail('Paste your API key to continue.');
    if (!API_KEY_PATTERN.test(candidate)) {
      return fail(
        'That does not look like an API key: keys start with enc_live_ followed by 32 letters or digits.',
      );
    }
    setBusy(true);
    setError(null);
    try {
      const session = await startSession(candidate);
      const webhooks = await new ApiClient(session.token).listWebhooks();
      setKey('');
      onSignedIn({ token: session.token, expires_at: session.expires_at }, webhooks);
    } catch (caught) {
      const apiError = caught instanceof ApiError ? caught : null;
      fail(
        apiError?.status === 401
          ? 'This key was not accepted. Check that you copied all of it and that it has not been revoked.'
          : (apiError?.message ?? 'Signing in failed. Try again.'),
      );
    } finally {
      setBusy(false);
    }
  };

  function fail(message: string) {
    setError(message);
    input.current?.focus();
  }

  // One set of props for both types, so Show/Hide keeps the same element (and its focus).
  const keyInput = {
    ref: input,
    id: 'api-key',
    value: key,
    onInput: (event: Event) => setKey((event.currentTarget as HTMLInputElement).value),
    autocomplete: 'off',
    autocapitalize: 'off' as const,
    spellcheck: false,
    placeholder: 'enc_live_…',
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': 'api-key-hint api-key-error',
    class: 'mono',
  };

  return (
    <main id="main" class="signin">
      <section class="card signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title" tabIndex={-1} data-page-heading>
          Sign in to manage webhooks
        </h1>
        <p class="lede">Paste an Encrata API key. The page acts on the workspace that key belongs to.</p>
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for="api-key">API key</label>
            <div class="input-row">
              {reveal ? <input type="text" {...keyInput} /> : <input type="password" {...keyInput} />}
              <button
                type="button"
                class="button secondary"
                aria-pressed={reveal}
                onClick={() => setReveal(!reveal)}
              >
                {reveal ? 'Hide' : 'Show'}
              </button>
            </div>
            <p id="api-key-hint" class="hint">
              Running locally? Use the key <code>npm start</code> printed. The page keeps only a 12-hour
              session made from it, in this browser tab, forgotten when you close it.
            </p>
            <p id="api-key-error" class="field-error" role="alert">
              {error}
            </p>
          </div>
          <button type="submit" class="button primary wide" disabled={busy}>
            {busy && <Spinner />}
            {busy ? 'Checking key…' : 'Sign in'}
          </button>
        </form>
      </section>
    </main>
  );
}
