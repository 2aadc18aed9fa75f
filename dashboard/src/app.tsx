import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  ApiClient,
  ApiError,
  type CreatedWebhook,
  type Webhook,
  type WebhookHealth,
  type WebhookInput,
} from './api.ts';
import { ConfirmDialog } from './components/confirm-dialog.tsx';
import { DeliveriesPage } from './components/deliveries-page.tsx';
import { EventTypesPage } from './components/event-types-page.tsx';
import { KeysPage } from './components/keys-page.tsx';
import { SecretDialog } from './components/secret-dialog.tsx';
import { SignIn } from './components/sign-in.tsx';
import { WebhookDetail } from './components/webhook-detail.tsx';
import { WebhookForm } from './components/webhook-form.tsx';
import { WebhookList } from './components/webhook-list.tsx';
import { useNow, useVisible } from './hooks.ts';
import iconUrl from './icon.svg';
import { hrefFor, navigate, type Route, routeKey, useRoute } from './router.ts';
import { clearSession, loadSession, type StoredSession, saveSession } from './session.ts';

/** How often the list's health (and a webhook's disabled state) is read while visible. */
export const HEALTH_INTERVAL_MS = 15_000;

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
  'You were signed out because the API rejected your session (it expired, or its key was revoked or disabled). Paste a valid key to continue.';

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
    headers: created.headers,
    rate_limit: created.rate_limit,
    disabled_reason: created.disabled_reason,
  };
}

/** Moves focus to the new view's heading, so keyboard and screen reader users start at the top. */
function focusHeading() {
  requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-page-heading]')?.focus());
}

export function App() {
  const [session, setSession] = useState<StoredSession | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [health, setHealth] = useState<ReadonlyMap<string, WebhookHealth>>(new Map());
  const [listError, setListError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);
  const route = useRoute();
  const visible = useVisible();
  const now = useNow(15_000);
  const toastId = useRef(0);

  const signOut = useCallback((reason: string | null) => {
    clearSession();
    setSession(null);
    setWebhooks(null);
    setHealth(new Map());
    setListError(null);
    setDialog(null);
    setNotice(reason);
  }, []);

  const token = session?.token ?? null;
  const client = useMemo(
    () => (token ? new ApiClient(token, () => signOut(REJECTED_KEY_NOTICE)) : null),
    [token, signOut],
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

  // A reload with a session loads the list once; signing in hands it over directly.
  useEffect(() => {
    if (client && webhooks === null) void loadWebhooks();
  }, [client, webhooks, loadWebhooks]);

  // Health of every webhook in one request, every 15 s while the list or a webhook is shown. A change
  // of state it reveals (a webhook disabled automatically) reloads the list.
  const healthShown = route.name === 'list' || route.name === 'webhook';
  const webhooksRef = useRef(webhooks);
  webhooksRef.current = webhooks;
  useEffect(() => {
    if (!client || !visible || !healthShown) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const list = await client.health();
        if (stopped) return;
        setHealth(new Map(list.map((item) => [item.webhook_id, item])));
        const known = webhooksRef.current ?? [];
        const changed = list.some((item) => {
          const webhook = known.find((candidate) => candidate.id === item.webhook_id);
          return (
            !webhook ||
            webhook.is_active !== item.is_active ||
            (webhook.disabled_reason ?? null) !== item.disabled_reason
          );
        });
        if (changed && webhooksRef.current !== null) void loadWebhooks();
      } catch {
        // Health is a nicety: the list works without it, and the next tick tries again.
      }
      if (!stopped) timer = setTimeout(run, HEALTH_INTERVAL_MS);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Every change of view reads it at once (the list opened from a webhook shows current health).
  }, [client, visible, healthShown, loadWebhooks, routeKey(route)]);

  // Each view change puts focus on its heading (not on the first render: the browser starts at the top).
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    focusHeading();
  }, [routeKey(route)]);

  if (!session || !client) {
    return (
      <Shell route={null} onSignOut={null}>
        <SignIn
          notice={notice}
          onSignedIn={(started, list) => {
            saveSession(started);
            setNotice(null);
            setWebhooks(list);
            setSession(started);
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
      ...(input.headers ? { headers: input.headers } : {}),
      ...(input.rate_limit !== null && input.rate_limit !== undefined
        ? { rate_limit: input.rate_limit }
        : {}),
    });
    replace(await client.getWebhook(webhook.id));
    setDialog(null);
    announce('Changes saved.');
  };

  const setActive = (webhook: Webhook) => async (active: boolean) => {
    try {
      await client.updateWebhook(webhook.id, webhook.url, { is_active: active });
      replace({
        ...webhook,
        is_active: active,
        disabled_reason: active ? null : webhook.disabled_reason,
        updated_at: new Date().toISOString(),
      });
      announce(
        active
          ? webhook.disabled_reason
            ? 'Webhook re-enabled: new events will be delivered. Use Recover to send what it missed.'
            : 'Webhook resumed: new events will be delivered.'
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

  const signOutNow = () => {
    // The session is ended on the server too; signing out does not wait for it.
    void client.endSession().catch(() => {});
    signOut(null);
  };

  return (
    <Shell route={route} onSignOut={signOutNow}>
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
          <WebhookList
            webhooks={webhooks}
            health={health}
            now={now}
            onCreate={() => setDialog({ kind: 'create' })}
          />
        ) : route.name === 'deliveries' ? (
          <DeliveriesPage client={client} webhooks={webhooks} announce={announce} />
        ) : route.name === 'event-types' ? (
          <EventTypesPage client={client} />
        ) : route.name === 'keys' ? (
          <KeysPage client={client} announce={announce} />
        ) : selected ? (
          <WebhookDetail
            key={selected.id}
            client={client}
            webhook={selected}
            health={health.get(selected.id)}
            onEdit={() => setDialog({ kind: 'edit', webhook: selected })}
            onDelete={() => setDialog({ kind: 'delete', webhook: selected })}
            onSetActive={setActive(selected)}
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

const SECTIONS: { route: Route; label: string; matches: Route['name'][] }[] = [
  { route: { name: 'list' }, label: 'Webhooks', matches: ['list', 'webhook'] },
  { route: { name: 'deliveries' }, label: 'Delivery log', matches: ['deliveries'] },
  { route: { name: 'event-types' }, label: 'Event types', matches: ['event-types'] },
  { route: { name: 'keys' }, label: 'API keys', matches: ['keys'] },
];

/** The page frame: skip link, top bar with the sections and sign-out, and the content. */
function Shell({
  route,
  onSignOut,
  children,
}: {
  route: Route | null;
  onSignOut: (() => void) | null;
  children: ComponentChildren;
}) {
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
          <a class="brand" href={hrefFor({ name: 'list' })} aria-label="Encrata: all webhooks">
            <img src={iconUrl} alt="" width={24} height={24} />
            <span aria-hidden="true">Encrata</span>
          </a>
          {route ? (
            <nav aria-label="Settings" class="sections">
              <ul>
                {SECTIONS.map((section) => (
                  <li key={section.label}>
                    <a
                      href={hrefFor(section.route)}
                      aria-current={section.matches.includes(route.name) ? 'page' : undefined}
                    >
                      {section.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : (
            <span class="sections-spacer" />
          )}
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
