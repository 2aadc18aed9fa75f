import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient, ApiKey, CreatedApiKey } from '../api.ts';
import { formatAbsolute } from '../format.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { CopyButton } from './copy-button.tsx';
import { Modal, SubmitFooter } from './modal.tsx';

type Dialog =
  | { kind: 'create' }
  | { kind: 'rename'; key: ApiKey }
  | { kind: 'created'; key: CreatedApiKey }
  | { kind: 'revoke'; key: ApiKey };

function NameDialog({
  title,
  submitLabel,
  initial,
  onSubmit,
  onClose,
}: {
  title: string;
  submitLabel: string;
  initial: string;
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('Give the key a name, e.g. the service that uses it.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(name.trim());
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'That did not work. Try again.');
      setBusy(false);
    }
  };
  return (
    <Modal labelledBy="key-name-title" onClose={onClose} className="modal-form">
      <form onSubmit={submit} noValidate>
        <header class="modal-header">
          <h2 id="key-name-title">{title}</h2>
        </header>
        <div class="modal-body">
          <div class="field">
            <label for="key-name">Name</label>
            <input
              id="key-name"
              type="text"
              maxLength={100}
              autocomplete="off"
              data-autofocus
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? 'key-name-error' : undefined}
            />
            {error && (
              <p id="key-name-error" class="field-error">
                {error}
              </p>
            )}
          </div>
        </div>
        <SubmitFooter onClose={onClose} busy={busy} label={submitLabel} />
      </form>
    </Modal>
  );
}

function CreatedKeyDialog({ created, onClose }: { created: CreatedApiKey; onClose: () => void }) {
  const ref = useRef<HTMLElement>(null);
  return (
    <Modal labelledBy="key-created-title" onClose={onClose} requireExplicitClose className="modal-secret">
      <header class="modal-header">
        <h2 id="key-created-title">API key created: copy it now</h2>
      </header>
      <div class="modal-body">
        <div class="secret-box">
          <code ref={ref} class="secret-value" data-testid="created-key">
            {created.key}
          </code>
          <CopyButton text={created.key} what="API key" fallbackTarget={() => ref.current} autofocus />
        </div>
        <p class="warning">
          <span>
            <strong>This key will not be shown again.</strong> Keep it in your secret store; anyone holding it
            acts for this workspace.
          </span>
        </p>
      </div>
      <footer class="modal-footer">
        <button type="button" class="button primary" onClick={onClose}>
          I've saved the key
        </button>
      </footer>
    </Modal>
  );
}

function keyState(key: ApiKey): { text: string; tone: string } {
  if (key.revoked_at) return { text: 'Revoked', tone: 'muted' };
  if (!key.is_active) return { text: 'Disabled', tone: 'warning' };
  return { text: 'Active', tone: 'success' };
}

/** Settings → API keys: list, create (shown once), rename, disable/enable, revoke. */
export function KeysPage({
  client,
  announce,
}: {
  client: ApiClient;
  announce: (message: string, tone?: 'success' | 'error') => void;
}) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await client.listKeys();
      setKeys([...list].sort((a, b) => b.created_at.localeCompare(a.created_at)));
      setError(null);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Loading the keys failed.');
      setKeys((current) => current ?? []);
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  const toggle = async (key: ApiKey) => {
    setBusyId(key.id);
    try {
      await client.setKeyEnabled(key.id, !key.is_active);
      announce(
        key.is_active
          ? `Key “${key.name}” disabled: it is refused until enabled.`
          : `Key “${key.name}” enabled.`,
      );
      await load();
    } catch (caught) {
      announce(caught instanceof Error ? caught.message : 'That did not work. Try again.', 'error');
    } finally {
      setBusyId(null);
    }
  };

  return (
    <>
      <div class="page-head">
        <div class="title-block">
          <h1 tabIndex={-1} data-page-heading>
            API keys
          </h1>
          <p class="lede">
            Keys authenticate your code and this page. A key disabled or revoked is refused at once, and so
            are the dashboard sessions signed in with it.
          </p>
        </div>
        <div class="actions">
          <button type="button" class="button primary" onClick={() => setDialog({ kind: 'create' })}>
            Create key
          </button>
        </div>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {keys === null ? (
        <div class="card">
          <div class="skeleton row-skeleton" />
        </div>
      ) : (
        <ul class="card key-list" aria-label="API keys">
          {keys.map((key) => {
            const state = keyState(key);
            return (
              <li key={key.id} class="key-row" data-key-name={key.name}>
                <div class="key-main">
                  <h2 class="key-name break">{key.name}</h2>
                  <p class="muted mono">
                    {key.key_prefix}
                    {key.key_preview}
                  </p>
                  <p class="muted">
                    Created <time dateTime={key.created_at}>{formatAbsolute(key.created_at)}</time>
                    {' · '}
                    {key.last_used ? (
                      <>
                        last used <time dateTime={key.last_used}>{formatAbsolute(key.last_used)}</time>
                      </>
                    ) : (
                      'never used'
                    )}
                  </p>
                </div>
                <div class="key-meta">
                  <span class={`badge badge-${state.tone}`}>
                    <span class="dot" aria-hidden="true" />
                    {state.text}
                  </span>
                  {!key.revoked_at && (
                    <div class="actions">
                      <button
                        type="button"
                        class="button secondary small"
                        aria-label={`Rename ${key.name}`}
                        onClick={() => setDialog({ kind: 'rename', key })}
                      >
                        Rename
                      </button>
                      <button
                        type="button"
                        class="button secondary small"
                        aria-label={`${key.is_active ? 'Disable' : 'Enable'} ${key.name}`}
                        disabled={busyId === key.id}
                        onClick={() => void toggle(key)}
                      >
                        {key.is_active ? 'Disable' : 'Enable'}
                      </button>
                      <button
                        type="button"
                        class="button danger-outline small"
                        aria-label={`Revoke ${key.name}`}
                        onClick={() => setDialog({ kind: 'revoke', key })}
                      >
                        Revoke
                      </button>
                    </div>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}

      {dialog?.kind === 'create' && (
        <NameDialog
          title="Create an API key"
          submitLabel="Create key"
          initial=""
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            const created = await client.createKey(name);
            setDialog({ kind: 'created', key: created });
            await load();
          }}
        />
      )}
      {dialog?.kind === 'created' && (
        <CreatedKeyDialog created={dialog.key} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === 'rename' && (
        <NameDialog
          title="Rename the key"
          submitLabel="Save name"
          initial={dialog.key.name}
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            await client.renameKey(dialog.key.id, name);
            setDialog(null);
            announce('Key renamed.');
            await load();
          }}
        />
      )}
      {dialog?.kind === 'revoke' && (
        <ConfirmDialog
          title="Revoke this key?"
          confirmLabel="Revoke key"
          busyLabel="Revoking…"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await client.revokeKey(dialog.key.id);
            setDialog(null);
            announce(`Key “${dialog.key.name}” revoked.`);
            await load();
          }}
        >
          <p>
            <strong class="break">{dialog.key.name}</strong> is refused from its next request on, for good,
            and so is every dashboard session signed in with it. If this page is signed in with it, you are
            signed out.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
