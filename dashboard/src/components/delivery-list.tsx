import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, Attempt, Delivery, DeliveryStatus, Webhook } from '../api.ts';
import { EVENT_CATALOGUE } from '../catalogue.ts';
import {
  describeStatus,
  formatAbsolute,
  formatCountdown,
  formatRelative,
  plural,
  prettyJson,
  stoppedReason,
} from '../format.ts';
import { useNow } from '../hooks.ts';
import type { DeliveryFeed } from '../live.ts';
import { hrefFor } from '../router.ts';
import { AbsoluteTime, CodeBlock, DeliveryBadge, RelativeTime, Spinner } from './bits.tsx';
import { CopyButton } from './copy-button.tsx';

/** What the endpoint answered, in a few words: "200 OK", "timeout", why it stopped, or a dash before any attempt. */
export function responseSummary(delivery: Delivery): string {
  const stopped = delivery.status === 'failed' ? stoppedReason(delivery.error) : null;
  if (stopped) return stopped;
  if (delivery.response_status !== null) return describeStatus(delivery.response_status);
  if (delivery.error) return delivery.error;
  return delivery.attempts === 0 ? 'Not attempted yet' : 'No response';
}

/** A pending delivery says when it goes out next; the others say nothing more. */
export function timingText(delivery: Delivery, now: number): string | null {
  if (delivery.status !== 'pending') return null;
  if (delivery.next_attempt_at && delivery.attempts > 0) {
    const left = formatCountdown(delivery.next_attempt_at, now);
    return left === 'now' ? 'retrying now' : `retry ${left}`;
  }
  return 'queued';
}

/** The request as it went out: headers (signatures included) and the exact body. */
function RequestView({ delivery, attempt }: { delivery: Delivery; attempt: Attempt | undefined }) {
  const headers = attempt?.request_headers;
  const body = typeof delivery.payload === 'string' ? delivery.payload : JSON.stringify(delivery.payload);
  return (
    <section class="request-view">
      <h3>Request{attempt ? ` (attempt ${attempt.attempt})` : ''}</h3>
      {headers ? (
        <dl class="headers-list">
          {Object.entries(headers).map(([name, value]) => (
            <div key={name}>
              <dt class="mono">{name}</dt>
              <dd class="mono break">{value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p class="muted">{attempt ? 'This attempt was not sent.' : 'Not sent yet: no headers to show.'}</p>
      )}
      <h4 class="subhead">Body</h4>
      <CodeBlock class="code">{prettyJson(delivery.payload)}</CodeBlock>
      <CopyButton text={body} what="request body" class="small" />
    </section>
  );
}

function AttemptHistory({ attempts, now }: { attempts: Attempt[]; now: number }) {
  if (attempts.length === 0) return <p class="muted">No attempt yet.</p>;
  return (
    <ol class="attempts" aria-label="Attempts, newest first">
      {attempts.map((attempt) => (
        <li
          key={attempt.attempt}
          class="attempt"
          data-ok={attempt.status_code !== null && attempt.status_code < 300}
        >
          <div class="attempt-head">
            <strong>Attempt {attempt.attempt}</strong>
            <span>
              {attempt.status_code === null
                ? (attempt.error ?? 'No response')
                : describeStatus(attempt.status_code)}
            </span>
            <span class="muted">{attempt.duration_ms} ms</span>
            <span class="muted">
              <AbsoluteTime iso={attempt.started_at} /> (<RelativeTime iso={attempt.started_at} now={now} />)
            </span>
          </div>
          {attempt.error && attempt.status_code !== null && <p class="muted">{attempt.error}</p>}
          {attempt.response_body && (
            <CodeBlock class="code excerpt">{attempt.response_body.slice(0, 600)}</CodeBlock>
          )}
          {attempt.next_attempt_at && (
            <p class="muted">
              Next attempt scheduled for <AbsoluteTime iso={attempt.next_attempt_at} />.
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

interface DetailsProps {
  client: ApiClient;
  delivery: Delivery;
  webhook: Webhook | undefined;
  now: number;
  announce: (message: string, tone?: 'success' | 'error') => void;
  onResent: () => void;
}

/** A delivery expanded: its facts, every attempt, the request as sent, and Resend. */
function DeliveryDetails({ client, delivery, webhook, now, announce, onResent }: DetailsProps) {
  const [attempts, setAttempts] = useState<Attempt[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resending, setResending] = useState(false);

  // Read again whenever the delivery moved on (one more attempt, a new status): never on a timer.
  useEffect(() => {
    let stale = false;
    client
      .listAttempts(delivery.id)
      .then((list) => {
        if (!stale) {
          setAttempts(list);
          setError(null);
        }
      })
      .catch((caught: unknown) => {
        if (!stale) setError(caught instanceof Error ? caught.message : 'Loading the attempts failed.');
      });
    return () => {
      stale = true;
    };
  }, [client, delivery.id, delivery.attempts, delivery.status]);

  const stopped = webhook && (!webhook.is_active || webhook.disabled_reason);
  const resend = async () => {
    setResending(true);
    try {
      await client.resendDelivery(delivery.id);
      announce('Delivery queued again: it is sent with the same id and body.');
      onResent();
    } catch (caught) {
      announce(caught instanceof Error ? caught.message : 'Resending failed.', 'error');
    } finally {
      setResending(false);
    }
  };

  return (
    <div class="delivery-details" id={`delivery-${delivery.id}`}>
      <dl class="facts">
        <div>
          <dt>Delivery ID</dt>
          <dd class="mono break">{delivery.id}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <AbsoluteTime iso={delivery.created_at} />
          </dd>
        </div>
        <div>
          <dt>Last attempt</dt>
          <dd>{delivery.last_attempt_at ? <AbsoluteTime iso={delivery.last_attempt_at} /> : 'None yet'}</dd>
        </div>
        {delivery.status === 'pending' && delivery.next_attempt_at && (
          <div>
            <dt>Next attempt</dt>
            <dd>
              <AbsoluteTime iso={delivery.next_attempt_at} /> (
              {formatCountdown(delivery.next_attempt_at, now)})
            </dd>
          </div>
        )}
        {delivery.error && (
          <div>
            <dt>{stoppedReason(delivery.error) ? 'Why it stopped' : 'Error'}</dt>
            <dd class="break">{delivery.error}</dd>
          </div>
        )}
        {webhook && (
          <div>
            <dt>Webhook</dt>
            <dd class="mono break">
              <a href={hrefFor({ name: 'webhook', id: webhook.id })}>{webhook.url}</a>
            </dd>
          </div>
        )}
      </dl>
      <div class="details-actions">
        <button
          type="button"
          class="button secondary small"
          onClick={resend}
          disabled={resending || Boolean(stopped)}
          aria-describedby={stopped ? `resend-why-${delivery.id}` : undefined}
        >
          {resending && <Spinner />}
          {resending ? 'Resending…' : 'Resend'}
        </button>
        {stopped && (
          <span id={`resend-why-${delivery.id}`} class="hint">
            Resume or re-enable the webhook to resend.
          </span>
        )}
      </div>
      <div class="bodies">
        <section>
          <h3>Attempts</h3>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          {attempts === null && !error ? (
            <div class="skeleton row-skeleton" />
          ) : (
            <AttemptHistory attempts={attempts ?? []} now={now} />
          )}
        </section>
        <RequestView delivery={delivery} attempt={attempts?.[0]} />
      </div>
    </div>
  );
}

export interface DeliveryListProps {
  client: ApiClient;
  deliveries: readonly Delivery[];
  /** Webhooks by id, to name the target in the workspace log and to know when resend is refused. */
  webhooks: ReadonlyMap<string, Webhook>;
  showWebhook?: boolean;
  announce: (message: string, tone?: 'success' | 'error') => void;
  onChanged: () => void;
}

/**
 * Deliveries, newest first. Each row is a disclosure button (keyboard and screen reader friendly);
 * expanding it shows every attempt and the request as it went out. Retry countdowns tick every second.
 */
export function DeliveryList({
  client,
  deliveries,
  webhooks,
  showWebhook,
  announce,
  onChanged,
}: DeliveryListProps) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const ticking = deliveries.some((delivery) => delivery.status === 'pending');
  const now = useNow(ticking ? 1000 : 15_000);
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div class="deliveries">
      <div class="delivery-row delivery-head" aria-hidden="true">
        <span>Status</span>
        <span>Event</span>
        <span>Attempts</span>
        <span>Response</span>
        <span>Time</span>
      </div>
      <ul class="delivery-items">
        {deliveries.map((delivery) => {
          const expanded = open.has(delivery.id);
          const timing = timingText(delivery, now);
          const webhook = webhooks.get(delivery.webhook_id);
          const summary = responseSummary(delivery);
          return (
            <li
              key={delivery.id}
              class={`delivery ${expanded ? 'is-open' : ''}`}
              data-status={delivery.status}
              data-delivery-id={delivery.id}
            >
              <button
                type="button"
                class="delivery-row delivery-summary"
                aria-expanded={expanded}
                aria-controls={`delivery-${delivery.id}`}
                onClick={() => toggle(delivery.id)}
              >
                <span class="cell-status">
                  <DeliveryBadge status={delivery.status} />
                </span>
                <span class="cell-event">
                  <span class="mono">{delivery.event_type}</span>
                  {showWebhook && webhook && <span class="cell-webhook mono">{webhook.url}</span>}
                </span>
                <span class="cell-attempts">{plural(delivery.attempts, 'attempt')}</span>
                <span class="cell-response" title={summary}>
                  {summary}
                </span>
                <span class="cell-time" title={formatAbsolute(delivery.created_at)}>
                  {formatRelative(delivery.created_at, now, true)}
                  {timing && <span class="timing">, {timing}</span>}
                </span>
                <svg class="chevron" viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                  <path d="M7 5l5 5-5 5" />
                </svg>
              </button>
              {expanded && (
                <DeliveryDetails
                  client={client}
                  delivery={delivery}
                  webhook={webhook}
                  now={now}
                  announce={announce}
                  onResent={onChanged}
                />
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export interface DeliveryLogProps {
  client: ApiClient;
  feed: DeliveryFeed;
  webhooks: ReadonlyMap<string, Webhook>;
  showWebhook?: boolean;
  status: DeliveryStatus | '';
  eventType: string;
  onFilter: (status: DeliveryStatus | '', eventType: string) => void;
  announce: (message: string, tone?: 'success' | 'error') => void;
  /** The id prefix of this log's controls (two logs never share a page, but ids stay unique). */
  idPrefix: string;
  headingId: string;
  heading: string;
  emptyText: preact.ComponentChildren;
}

/** A live delivery log with filters and "Load older": the webhook page's and the workspace's. */
export function DeliveryLog(props: DeliveryLogProps) {
  const { feed } = props;
  const now = useNow(1000);
  const waiting = feed.pausedUntil > now ? Math.ceil((feed.pausedUntil - now) / 1000) : 0;
  const filtered = props.status !== '' || props.eventType !== '';
  return (
    <section class="card" aria-labelledby={props.headingId}>
      <div class="section-head">
        <h2 id={props.headingId}>{props.heading}</h2>
        <span class="refresh-state" role="status">
          {feed.items === null ? (
            <>
              <Spinner /> Loading…
            </>
          ) : waiting > 0 ? (
            `Paused by the rate limit: live again in ${waiting} s`
          ) : (
            <>
              <span class="live-dot" aria-hidden="true" />
              Live
            </>
          )}
        </span>
      </div>
      <div class="filters">
        <div class="field inline">
          <label for={`${props.idPrefix}-status`}>Status</label>
          <select
            id={`${props.idPrefix}-status`}
            value={props.status}
            onChange={(event) =>
              props.onFilter(event.currentTarget.value as DeliveryStatus | '', props.eventType)
            }
          >
            <option value="">All</option>
            <option value="pending">Pending</option>
            <option value="success">Delivered</option>
            <option value="failed">Failed</option>
          </select>
        </div>
        <div class="field inline">
          <label for={`${props.idPrefix}-event`}>Event type</label>
          <select
            id={`${props.idPrefix}-event`}
            value={props.eventType}
            onChange={(event) => props.onFilter(props.status, event.currentTarget.value)}
          >
            <option value="">All</option>
            {EVENT_CATALOGUE.map((entry) => (
              <option key={entry.type} value={entry.type}>
                {entry.type}
              </option>
            ))}
            <option value="test">test</option>
          </select>
        </div>
      </div>
      {feed.error && (
        <p class="form-error" role="alert">
          {feed.error}
        </p>
      )}
      {feed.items === null ? (
        <div class="skeleton list-skeleton" />
      ) : feed.items.length === 0 ? (
        <div class="empty-inline">
          <p>{filtered ? 'No deliveries match these filters.' : props.emptyText}</p>
        </div>
      ) : (
        <>
          <DeliveryList
            client={props.client}
            deliveries={feed.items}
            webhooks={props.webhooks}
            showWebhook={props.showWebhook}
            announce={props.announce}
            onChanged={feed.refresh}
          />
          {feed.hasOlder && (
            <div class="load-older">
              <button
                type="button"
                class="button secondary"
                onClick={() => void feed.loadOlder()}
                disabled={feed.loadingOlder}
              >
                {feed.loadingOlder && <Spinner />}
                {feed.loadingOlder ? 'Loading…' : 'Load older deliveries'}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
