import { useState } from 'preact/hooks';
import type { Delivery } from '../api.ts';
import { describeStatus, formatRelative, plural, prettyJson } from '../format.ts';
import { DeliveryBadge, RelativeTime } from './bits.tsx';

/** What the endpoint answered, in a few words: "200 OK", "timeout", or a dash before any attempt. */
function responseSummary(delivery: Delivery): string {
  if (delivery.response_status !== null) return describeStatus(delivery.response_status);
  if (delivery.error) return delivery.error;
  return delivery.attempts === 0 ? 'Not attempted yet' : 'No response';
}

function DeliveryDetails({ delivery, now }: { delivery: Delivery; now: number }) {
  return (
    <div class="delivery-details" id={`delivery-${delivery.id}`}>
      <dl class="facts">
        <div>
          <dt>Delivery ID</dt>
          <dd class="mono">{delivery.id}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <RelativeTime iso={delivery.created_at} now={now} />
          </dd>
        </div>
        <div>
          <dt>Last attempt</dt>
          <dd>
            {delivery.last_attempt_at ? (
              <RelativeTime iso={delivery.last_attempt_at} now={now} />
            ) : (
              'None yet'
            )}
          </dd>
        </div>
        {delivery.status === 'pending' && delivery.next_attempt_at && (
          <div>
            <dt>Next attempt</dt>
            <dd>
              <RelativeTime iso={delivery.next_attempt_at} now={now} future />
            </dd>
          </div>
        )}
        {delivery.error && (
          <div>
            <dt>Error</dt>
            <dd>{delivery.error}</dd>
          </div>
        )}
      </dl>
      <div class="bodies">
        <section>
          <h4>Payload</h4>
          <pre class="code">{prettyJson(delivery.payload)}</pre>
        </section>
        <section>
          <h4>Response body{delivery.response_status !== null ? ` (${delivery.response_status})` : ''}</h4>
          {delivery.response_body ? (
            <pre class="code">{prettyJson(delivery.response_body)}</pre>
          ) : (
            <p class="muted">{delivery.attempts === 0 ? 'No attempt yet.' : 'The endpoint sent no body.'}</p>
          )}
        </section>
      </div>
    </div>
  );
}

/** A pending delivery says when it goes out next; the others say what happened. */
function timingText(delivery: Delivery, now: number): string | null {
  if (delivery.status !== 'pending') return null;
  if (delivery.next_attempt_at && delivery.attempts > 0) {
    return `retry ${formatRelative(delivery.next_attempt_at, now)}`;
  }
  return 'queued';
}

/**
 * Deliveries, newest first. Each row is a disclosure button (keyboard and screen reader friendly);
 * expanding it shows the payload that was sent and the endpoint's answer.
 */
export function DeliveryList({ deliveries, now }: { deliveries: readonly Delivery[]; now: number }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
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
          return (
            <li
              key={delivery.id}
              class={`delivery ${expanded ? 'is-open' : ''}`}
              data-status={delivery.status}
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
                <span class="cell-event mono">{delivery.event_type}</span>
                <span class="cell-attempts">{plural(delivery.attempts, 'attempt')}</span>
                <span class="cell-response">{responseSummary(delivery)}</span>
                <span class="cell-time">
                  <RelativeTime iso={delivery.created_at} now={now} />
                  {timing && <span class="timing">, {timing}</span>}
                </span>
                <svg class="chevron" viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                  <path d="M7 5l5 5-5 5" />
                </svg>
              </button>
              {expanded && <DeliveryDetails delivery={delivery} now={now} />}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
