import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type ApiClient, ApiError, type Delivery, type TestResult, type Webhook } from '../api.ts';
import { describeEvent } from '../catalogue.ts';
import { useNow } from '../hooks.ts';
import { hrefFor } from '../router.ts';
import { ActiveBadge, RelativeTime, Spinner } from './bits.tsx';
import { DeliveryChart } from './delivery-chart.tsx';
import { DeliveryList } from './delivery-list.tsx';
import { TestResultPanel } from './test-result.tsx';

/** How often deliveries are re-read while something is about to change. */
export const POLL_INTERVAL_MS = 3000;
/** How often new deliveries are looked for otherwise, while the page is visible. */
export const IDLE_POLL_INTERVAL_MS = 30_000;
/** After a test, keep watching this long even if nothing is pending. */
const WATCH_AFTER_TEST_MS = 6000;
/**
 * When to read the deliveries again, and whether that is sooner than the idle pace: every few
 * seconds while a delivery is queued or a test was just sent, a waiting retry just after it is
 * due, and otherwise every 30 s to notice new deliveries. The API allows 30 requests a minute per
 * key, so the page never spends them on a retry hours away, and it waits out a 429 (`pausedUntil`).
 */
export function nextPollDelay(
  deliveries: readonly Delivery[],
  now: number,
  watchUntil: number,
  pausedUntil: number,
): { delay: number; eager: boolean } {
  let delay = now < watchUntil ? POLL_INTERVAL_MS : IDLE_POLL_INTERVAL_MS;
  for (const delivery of deliveries) {
    if (delivery.status !== 'pending') continue;
    const due =
      delivery.attempts > 0 && delivery.next_attempt_at
        ? Date.parse(delivery.next_attempt_at) - now + 1000
        : 0;
    delay = Math.min(delay, Math.max(due, POLL_INTERVAL_MS));
  }
  return { delay: Math.max(delay, pausedUntil - now), eager: delay < IDLE_POLL_INTERVAL_MS };
}

export interface WebhookDetailProps {
  client: ApiClient;
  webhook: Webhook;
  onEdit: () => void;
  onDelete: () => void;
  onToggleActive: () => Promise<void>;
  announce: (message: string, tone?: 'success' | 'error') => void;
}

/** One webhook: its settings, actions (test, edit, pause, delete), delivery health and deliveries. */
export function WebhookDetail({
  client,
  webhook,
  onEdit,
  onDelete,
  onToggleActive,
  announce,
}: WebhookDetailProps) {
  const now = useNow(5000);
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState(0);
  const [loading, setLoading] = useState(false);
  const [watchUntil, setWatchUntil] = useState(0);
  const [pausedUntil, setPausedUntil] = useState(0);
  const [visible, setVisible] = useState(() => !document.hidden);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<TestResult | null>(null);
  const [toggling, setToggling] = useState(false);
  // Answers for a webhook the user has already left are dropped.
  const current = useRef(webhook.id);
  current.current = webhook.id;

  const load = useCallback(async () => {
    const id = webhook.id;
    setLoading(true);
    try {
      const list = await client.listDeliveries(id);
      if (current.current !== id) return;
      setDeliveries(list);
      setLoadError(null);
    } catch (caught) {
      if (current.current !== id) return;
      if (caught instanceof ApiError && caught.status === 429) {
        setPausedUntil(Date.now() + (caught.retryAfterSeconds ?? 10) * 1000);
      }
      setLoadError(caught instanceof Error ? caught.message : 'Loading deliveries failed.');
    } finally {
      if (current.current === id) {
        setLoading(false);
        setLoadedAt(Date.now());
      }
    }
  }, [client, webhook.id]);

  useEffect(() => {
    setDeliveries(null);
    setTestResult(null);
    void load();
  }, [load]);

  useEffect(() => {
    const onVisibility = () => {
      setVisible(!document.hidden);
      if (!document.hidden) void load();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [load]);

  // Re-armed after every load; nothing runs while the tab is hidden.
  const poll = deliveries && visible ? nextPollDelay(deliveries, loadedAt, watchUntil, pausedUntil) : null;
  const delay = poll?.delay ?? null;
  useEffect(() => {
    if (delay === null) return;
    const timer = setTimeout(() => void load(), delay);
    return () => clearTimeout(timer);
  }, [delay, loadedAt, load]);

  const sendTest = async () => {
    setTesting(true);
    try {
      const result = await client.testWebhook(webhook.id);
      setTestResult(result);
      announce(
        result.status === 'sent'
          ? `Test delivered: your endpoint answered ${result.status_code}.`
          : `Test failed: ${result.error ?? `your endpoint answered ${result.status_code}`}.`,
        result.status === 'sent' ? 'success' : 'error',
      );
      setWatchUntil(Date.now() + WATCH_AFTER_TEST_MS);
      void load();
    } catch (caught) {
      announce(caught instanceof Error ? caught.message : 'Sending the test failed.', 'error');
    } finally {
      setTesting(false);
    }
  };

  const toggleActive = async () => {
    setToggling(true);
    try {
      await onToggleActive();
    } finally {
      setToggling(false);
    }
  };

  const pending = deliveries?.filter((delivery) => delivery.status === 'pending').length ?? 0;

  return (
    <>
      <a class="back-link" href={hrefFor({ name: 'list' })}>
        <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
          <path d="M12 5l-5 5 5 5" />
        </svg>
        All webhooks
      </a>
      <div class="page-head detail-head">
        <div class="title-block">
          <p class="eyebrow">Webhook endpoint</p>
          <h1 class="url-title mono" tabIndex={-1} data-page-heading>
            {webhook.url}
          </h1>
          <div class="meta-line">
            <ActiveBadge active={webhook.is_active} />
            {webhook.description && <span class="description">{webhook.description}</span>}
          </div>
        </div>
        <div class="actions">
          <button type="button" class="button primary" onClick={sendTest} disabled={testing}>
            {testing && <Spinner />}
            {testing ? 'Sending test…' : 'Send test'}
          </button>
          <button type="button" class="button secondary" onClick={onEdit}>
            Edit
          </button>
          <button type="button" class="button secondary" onClick={toggleActive} disabled={toggling}>
            {webhook.is_active ? 'Pause' : 'Resume'}
          </button>
          <button type="button" class="button danger-outline" onClick={onDelete}>
            Delete
          </button>
        </div>
      </div>

      {!webhook.is_active && (
        <p class="notice">
          <strong>Paused.</strong> Events are not delivered to this endpoint, and waiting retries are stopped.
          Test deliveries still work. Resume to receive events again.
        </p>
      )}

      {testResult && <TestResultPanel result={testResult} onDismiss={() => setTestResult(null)} />}

      <dl class="card facts settings">
        <div class="wide">
          <dt>Events</dt>
          <dd>
            <ul class="chips">
              {webhook.events.map((event) => (
                <li key={event} class="chip" title={describeEvent(event)}>
                  {event}
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <RelativeTime iso={webhook.created_at} now={now} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <RelativeTime iso={webhook.updated_at} now={now} />
          </dd>
        </div>
        <div>
          <dt>Webhook ID</dt>
          <dd class="mono break">{webhook.id}</dd>
        </div>
      </dl>

      <section class="card" aria-labelledby="health-title">
        <h2 id="health-title">Delivery health</h2>
        {deliveries ? (
          <DeliveryChart deliveries={deliveries} now={now} />
        ) : (
          <div class="skeleton chart-skeleton" />
        )}
      </section>

      <section class="card" aria-labelledby="deliveries-title">
        <div class="section-head">
          <h2 id="deliveries-title">Deliveries</h2>
          <span class="refresh-state">
            {loading && <Spinner />}
            {!loadedAt
              ? 'Loading…'
              : pending > 0 && poll?.eager
                ? `${pending} pending: updating every few seconds`
                : 'Checks for new deliveries every 30 s'}
          </span>
          <button type="button" class="button secondary small" onClick={() => void load()} disabled={loading}>
            Refresh
          </button>
        </div>
        {loadError && (
          <p class="form-error" role="alert">
            {loadError}
          </p>
        )}
        {deliveries === null ? (
          <div class="skeleton list-skeleton" />
        ) : deliveries.length === 0 ? (
          <div class="empty-inline">
            <p>
              <strong>No deliveries yet.</strong> Use <em>Send test</em> to send a sample request now, or wait
              for one of the subscribed events to happen.
            </p>
          </div>
        ) : (
          <DeliveryList deliveries={deliveries} now={now} />
        )}
      </section>
    </>
  );
}
