import type { Webhook } from '../api.ts';
import { hrefFor } from '../router.ts';
import { ActiveBadge, EventChips, RelativeTime } from './bits.tsx';

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

export interface WebhookListProps {
  /** null while the first load is running. */
  webhooks: Webhook[] | null;
  now: number;
  onCreate: () => void;
}

/** The workspace's webhooks, newest first; each row opens the webhook. */
export function WebhookList({ webhooks, now, onCreate }: WebhookListProps) {
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
          {webhooks.map((webhook) => (
            <li key={webhook.id} class="webhook-row">
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
                <ActiveBadge active={webhook.is_active} />
                <span class="muted">
                  Created <RelativeTime iso={webhook.created_at} now={now} />
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
