import type { Webhook, WebhookHealth } from '../api.ts';
import { formatAbsolute, formatRate, formatRelative, plural } from '../format.ts';
import { hrefFor } from '../router.ts';
import { EventChips } from './bits.tsx';

/** What a newcomer sees first: what a webhook is, how it works, and the one button to start. */
function EmptyState({ onCreate }: { onCreate: () => void }) {
  return (
    <section class="card empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No webhooks yet</h2>
      <p>
        A webhook is a URL on your server that Encrata calls when something happens in your workspace, such as
        an email lookup finishing or your credits running low. Instead of asking the API for changes, your
        server is told about them the moment they happen.
      </p>
      <ol class="steps">
        <li>
          <strong>Add an HTTPS endpoint</strong> and choose the events it should receive.
        </li>
        <li>
          <strong>Save the signing secret</strong> you are shown once, and use it to check the{' '}
          <code>X-Encrata-Signature</code> header on each request.
        </li>
        <li>
          <strong>Send a test</strong> and watch it arrive in the delivery log. Failed deliveries are retried
          for about a day.
        </li>
      </ol>
      <button type="button" class="button primary" onClick={onCreate}>
        Add your first webhook
      </button>
    </section>
  );
}

type Tone = 'success' | 'danger' | 'warning' | 'muted';

/** The one-word state of a webhook for its row: disabled and paused first, then how it delivers. */
export function healthLabel(
  webhook: Webhook,
  health: WebhookHealth | undefined,
): { text: string; tone: Tone } {
  if (!webhook.is_active && webhook.disabled_reason) return { text: 'Disabled: failing', tone: 'danger' };
  if (!webhook.is_active) return { text: 'Paused', tone: 'muted' };
  if (!health) return { text: 'Active', tone: 'success' };
  if (health.failing_since || health.last_delivery_status === 'failed')
    return { text: 'Failing', tone: 'danger' };
  const { success, failed } = health.deliveries_24h;
  if (failed > 0 && success > 0) return { text: 'Some failures', tone: 'warning' };
  if (health.last_delivery_at === null) return { text: 'No deliveries yet', tone: 'muted' };
  return { text: 'Healthy', tone: 'success' };
}

function HealthFacts({ health, now }: { health: WebhookHealth | undefined; now: number }) {
  if (!health) return <span class="muted">Loading health…</span>;
  const { success, failed } = health.deliveries_24h;
  return (
    <dl class="health-facts">
      <div>
        <dt>Last delivery</dt>
        <dd>
          {health.last_delivery_at ? (
            <time dateTime={health.last_delivery_at} title={formatAbsolute(health.last_delivery_at)}>
              {formatRelative(health.last_delivery_at, now, true)}
            </time>
          ) : (
            'None yet'
          )}
        </dd>
      </div>
      <div>
        <dt>Success, 24 h</dt>
        <dd>
          {health.success_rate_24h === null
            ? '—'
            : `${formatRate(health.success_rate_24h)} of ${plural(success + failed, 'delivery', 'deliveries')}${health.sampled ? ' (sampled)' : ''}`}
        </dd>
      </div>
      {health.failing_since && (
        <div>
          <dt>Failing since</dt>
          <dd>
            <time dateTime={health.failing_since}>{formatAbsolute(health.failing_since)}</time>
          </dd>
        </div>
      )}
    </dl>
  );
}

export interface WebhookListProps {
  /** null while the first load is running. */
  webhooks: Webhook[] | null;
  health: ReadonlyMap<string, WebhookHealth>;
  now: number;
  onCreate: () => void;
}

/** The workspace's webhooks, newest first, each with its health; each row opens the webhook. */
export function WebhookList({ webhooks, health, now, onCreate }: WebhookListProps) {
  return (
    <>
      <div class="page-head">
        <div class="title-block">
          <h1 tabIndex={-1} data-page-heading>
            Webhooks
          </h1>
          <p class="lede">
            Encrata sends an HTTPS POST to these endpoints when events happen in your workspace.
          </p>
        </div>
        {webhooks && webhooks.length > 0 && (
          <div class="actions">
            <button type="button" class="button primary" onClick={onCreate}>
              Add webhook
            </button>
          </div>
        )}
      </div>
      {webhooks === null ? (
        <div class="card">
          <div class="skeleton row-skeleton" />
          <div class="skeleton row-skeleton" />
          <div class="skeleton row-skeleton" />
        </div>
      ) : webhooks.length === 0 ? (
        <EmptyState onCreate={onCreate} />
      ) : (
        <ul class="card webhook-list" aria-label="Webhooks">
          {webhooks.map((webhook) => {
            const state = healthLabel(webhook, health.get(webhook.id));
            return (
              <li key={webhook.id} class="webhook-row" data-health={state.text}>
                <div class="webhook-main">
                  <a
                    class="webhook-link mono"
                    href={hrefFor({ name: 'webhook', id: webhook.id })}
                    title={webhook.url}
                  >
                    {webhook.url}
                  </a>
                  {webhook.description && <p class="description">{webhook.description}</p>}
                  <EventChips events={webhook.events} />
                </div>
                <div class="webhook-meta">
                  <span class={`badge badge-${state.tone}`} data-testid="health-badge">
                    <span class="dot" aria-hidden="true" />
                    {state.text}
                  </span>
                  <HealthFacts health={health.get(webhook.id)} now={now} />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
