import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient, ApiError, type CreatedWebhook, type Webhook, type WebhookInput } from './api.ts';
import { ConfirmDialog } from './components/confirm-dialog.tsx';
import { SecretDialog } from './components/secret-dialog.tsx';
import { SignIn } from './components/sign-in.tsx';
import { WebhookDetail } from './components/webhook-detail.tsx';
import { WebhookForm } from './components/webhook-form.tsx';
import { WebhookList } from './components/webhook-list.tsx';
import { useNow } from './hooks.ts';
import iconUrl from './icon.svg';
import { hrefFor, navigate, useRoute } from './router.ts';
import { clearApiKey, loadApiKey, saveApiKey } from './session.ts';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; webhook: Webhook }
  | { kind: 'secret'; webhook: CreatedWebhook }
  | { kind: 'delete'; webhook: Webhook };

interface Toast {
  id: number;
  message: string;
  tone: 'success' | 'error';
}

const REJECTED_KEY_NOTICE =
  'You were signed out because the API rejected your key (it may have been revoked). Paste a valid key to continue.';

/** The created webhook without its secret, for the list: the secret lives only in the one dialog. */
function withoutSecret(created: CreatedWebhook): Webhook {
  return {
    id: created.id,
    url: created.url,
    events: created.events,
    is_active: created.is_active,
    description: created.description,
    created_at: created.created_at,
    updated_at: created.updated_at,
  };
}

/** Moves focus to the new view's heading, so keyboard and screen reader users start at the top. */
function focusHeading() {
  requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-page-heading]')?.focus());
}

export function App() {
  const [apiKey, setApiKey] = useState(loadApiKey);
  const [notice, setNotice] = useState<string | null>(null);
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);
  const route = useRoute();
  const now = useNow(15_000);
  const toastId = useRef(0);

  const signOut = useCallback((reason: string | null) => {
    clearApiKey();
    setApiKey(null);
    setWebhooks(null);
    setListError(null);
    setDialog(null);
    setNotice(reason);
  }, []);

  const client = useMemo(
    () => (apiKey ? new ApiClient(apiKey, () => signOut(REJECTED_KEY_NOTICE)) : null),
    [apiKey, signOut],
  );

  const announce = useCallback((message: string, tone: 'success' | 'error' = 'success') => {
    toastId.current += 1;
    setToast({ id: toastId.current, message, tone });
  }, []);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 7000);
    return () => clearTimeout(timer);
  }, [toast]);

  const loadWebhooks = useCallback(async () => {
    if (!client) return;
    try {
      setWebhooks(await client.listWebhooks());
      setListError(null);
    } catch (caught) {
      // A 401 has already signed the user out (ApiClient's onUnauthorized); there is nothing to show.
      if (caught instanceof ApiError && caught.status === 401) return;
      setListError(caught instanceof Error ? caught.message : 'Loading webhooks failed.');
      setWebhooks((current) => current ?? []);
    }
  }, [client]);

  // A reload with a key in the session loads the list once; signing in hands it over directly.
  useEffect(() => {
    if (client && webhooks === null) void loadWebhooks();
  }, [client, webhooks, loadWebhooks]);

  // Each view change puts focus on its heading (not on the first render: the browser starts at the top).
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    focusHeading();
  }, [route.name, route.name === 'webhook' ? route.id : '']);

  if (!apiKey || !client) {
    return (
      <Shell onSignOut={null}>
        <SignIn
          notice={notice}
          onSignedIn={(key, list) => {
            saveApiKey(key);
            setNotice(null);
            setWebhooks(list);
            setApiKey(key);
            focusHeading();
          }}
        />
      </Shell>
    );
  }

  const selected =
    route.name === 'webhook' ? webhooks?.find((webhook) => webhook.id === route.id) : undefined;
  const replace = (updated: Webhook) =>
    setWebhooks(
      (current) => current?.map((webhook) => (webhook.id === updated.id ? updated : webhook)) ?? null,
    );

  const create = async (input: WebhookInput) => {
    const created = await client.createWebhook(input);
    setWebhooks((current) => [withoutSecret(created), ...(current ?? [])]);
    setDialog({ kind: 'secret', webhook: created });
  };

  const save = (webhook: Webhook) => async (input: WebhookInput) => {
    await client.updateWebhook(webhook.id, input.url, {
      events: input.events,
      description: input.description,
    });
    replace({ ...webhook, ...input, updated_at: new Date().toISOString() });
    setDialog(null);
    announce('Changes saved.');
  };

  const toggleActive = (webhook: Webhook) => async () => {
    const active = !webhook.is_active;
    try {
      await client.updateWebhook(webhook.id, webhook.url, { is_active: active });
      replace({ ...webhook, is_active: active, updated_at: new Date().toISOString() });
      announce(
        active
          ? 'Webhook resumed: new events will be delivered.'
          : 'Webhook paused: no events will be delivered.',
      );
    } catch (caught) {
      announce(caught instanceof Error ? caught.message : 'That did not work. Try again.', 'error');
    }
  };

  const remove = (webhook: Webhook) => async () => {
    await client.deleteWebhook(webhook.id);
    setWebhooks((current) => current?.filter((candidate) => candidate.id !== webhook.id) ?? null);
    setDialog(null);
    navigate({ name: 'list' });
    announce('Webhook deleted. It receives no more events.');
  };

  return (
    <Shell onSignOut={() => signOut(null)}>
      <main id="main">
        {listError && (
          <p class="form-error" role="alert">
            {listError}{' '}
            <button type="button" class="link-button" onClick={() => void loadWebhooks()}>
              Try again
            </button>
          </p>
        )}
        {route.name === 'list' ? (
          <WebhookList webhooks={webhooks} now={now} onCreate={() => setDialog({ kind: 'create' })} />
        ) : selected ? (
          <WebhookDetail
            key={selected.id}
            client={client}
            webhook={selected}
            onEdit={() => setDialog({ kind: 'edit', webhook: selected })}
            onDelete={() => setDialog({ kind: 'delete', webhook: selected })}
            onToggleActive={toggleActive(selected)}
            announce={announce}
          />
        ) : webhooks === null ? (
          <div class="skeleton list-skeleton" />
        ) : (
          <section class="card empty-state">
            <h1 tabIndex={-1} data-page-heading>
              Webhook not found
            </h1>
            <p>It may have been deleted, or it belongs to another workspace.</p>
            <a class="button secondary" href={hrefFor({ name: 'list' })}>
              Back to all webhooks
            </a>
          </section>
        )}
      </main>

      {dialog?.kind === 'create' && <WebhookForm onSubmit={create} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && (
        <WebhookForm
          webhook={dialog.webhook}
          onSubmit={save(dialog.webhook)}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'secret' && (
        <SecretDialog
          webhook={dialog.webhook}
          onClose={() => {
            setDialog(null);
            navigate({ name: 'webhook', id: dialog.webhook.id });
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          busyLabel="Deleting…"
          onConfirm={remove(dialog.webhook)}
          onClose={() => setDialog(null)}
        >
          <p>
            <strong class="mono break">{dialog.webhook.url}</strong> stops receiving events at once, and
            deliveries waiting for a retry are cancelled. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}

      <div class="toast-region" role="status" aria-live="polite" aria-atomic="true">
        {toast && (
          <div key={toast.id} class={`toast toast-${toast.tone}`}>
            <span>{toast.message}</span>
            <button
              type="button"
              class="icon-button"
              aria-label="Dismiss message"
              onClick={() => setToast(null)}
            >
              <svg viewBox="0 0 20 20" aria-hidden="true" width="16" height="16">
                <path d="M5 5l10 10M15 5L5 15" />
              </svg>
            </button>
          </div>
        )}
      </div>
    </Shell>
  );
}

/** The page frame: skip link, top bar with breadcrumb and sign-out, and the content. */
function Shell({ onSignOut, children }: { onSignOut: (() => void) | null; children: ComponentChildren }) {
  return (
    <>
      <button
        type="button"
        class="skip-link"
        onClick={() => document.querySelector<HTMLElement>('[data-page-heading]')?.focus()}
      >
        Skip to content
      </button>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href={hrefFor({ name: 'list' })}>
            <img src={iconUrl} alt="" width={24} height={24} />
            <span>Encrata</span>
          </a>
          <nav aria-label="Breadcrumb" class="crumbs">
            <ol>
              <li>Settings</li>
              <li aria-current="page">Webhooks</li>
            </ol>
          </nav>
          {onSignOut && (
            <button type="button" class="button ghost small" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <div class="container">{children}</div>
    </>
  );
}
