import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type {
  ApiClient,
  DeliveryStatus,
  Recovery,
  Rotation,
  TestResult,
  Webhook,
  WebhookHealth,
} from '../api.ts';
import { describeEvent, EVENT_CATALOGUE } from '../catalogue.ts';
import { plural } from '../format.ts';
import { useDeliveryFeed } from '../live.ts';
import { hrefFor } from '../router.ts';
import { AbsoluteTime, ActiveBadge, Spinner } from './bits.tsx';
import { CopyButton } from './copy-button.tsx';
import { DeliveryChart } from './delivery-chart.tsx';
import { DeliveryLog } from './delivery-list.tsx';
import { Modal, SubmitFooter } from './modal.tsx';
import { TestResultPanel } from './test-result.tsx';

/** How often a running recovery's progress is read. */
const RECOVERY_POLL_MS = 2000;

export interface WebhookDetailProps {
  client: ApiClient;
  webhook: Webhook;
  health: WebhookHealth | undefined;
  onEdit: () => void;
  onDelete: () => void;
  /** Pauses, resumes or re-enables (`true`) the webhook. */
  onSetActive: (active: boolean) => Promise<void>;
  announce: (message: string, tone?: 'success' | 'error') => void;
}

/** A `datetime-local` value (the browser's time zone) for an epoch ms. */
function localInputValue(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

function RotateDialog({
  client,
  webhook,
  onClose,
  announce,
}: {
  client: ApiClient;
  webhook: Webhook;
  onClose: () => void;
  announce: WebhookDetailProps['announce'];
}) {
  const [hours, setHours] = useState('24');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [rotation, setRotation] = useState<Rotation | null>(null);
  const secretRef = useRef<HTMLElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = Number(hours);
    if (!(value >= 0 && value <= 72)) {
      setError('Enter a number of hours from 0 to 72.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setRotation(await client.rotateSecret(webhook.id, value));
      announce('Secret rotated. Copy the new one now.');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Rotating failed.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      labelledBy="rotate-title"
      onClose={onClose}
      requireExplicitClose={rotation !== null}
      className="modal-form"
    >
      <header class="modal-header">
        <h2 id="rotate-title">
          {rotation ? 'New signing secret: copy it now' : 'Rotate the signing secret'}
        </h2>
      </header>
      {rotation ? (
        <>
          <div class="modal-body">
            <div class="secret-box">
              <code ref={secretRef} class="secret-value" data-testid="rotated-secret">
                {rotation.secret}
              </code>
              <CopyButton
                text={rotation.secret}
                what="new secret"
                fallbackTarget={() => secretRef.current}
                autofocus
              />
            </div>
            <p class="warning" data-testid="overlap-end">
              <span>
                <strong>This secret will not be shown again.</strong> Until{' '}
                <AbsoluteTime iso={rotation.previous_expires_at} /> both secrets sign every request (
                <code>webhook-signature</code> carries both; <code>X-Encrata-Signature</code> stays the
                previous one's until then). Update your server before that time.
              </span>
            </p>
          </div>
          <footer class="modal-footer">
            <button type="button" class="button primary" onClick={onClose}>
              I've saved the new secret
            </button>
          </footer>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <div class="modal-body">
            <p>
              A new secret signs from now on. The current one keeps signing for the overlap you choose, so
              your server can switch without missing a request.
            </p>
            <div class="field">
              <label for="rotate-hours">Keep the current secret for (hours)</label>
              <input
                id="rotate-hours"
                type="number"
                inputMode="decimal"
                min={0}
                max={72}
                step="any"
                value={hours}
                data-autofocus
                onInput={(event) => setHours(event.currentTarget.value)}
                aria-describedby="rotate-hours-hint"
              />
              <p id="rotate-hours-hint" class="hint">
                0 to 72; 0 switches at once (after a leak).
              </p>
            </div>
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
          </div>
          <SubmitFooter onClose={onClose} busy={busy} label={busy ? 'Rotating…' : 'Rotate secret'} />
        </form>
      )}
    </Modal>
  );
}

function RecoverDialog({
  defaultSince,
  onStart,
  onClose,
}: {
  defaultSince: number;
  onStart: (sinceIso: string) => Promise<void>;
  onClose: () => void;
}) {
  const [since, setSince] = useState(() => localInputValue(defaultSince));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const ms = Date.parse(since);
    if (Number.isNaN(ms)) {
      setError('Choose a date and time to recover from.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onStart(new Date(ms).toISOString());
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Starting the recovery failed.');
      setBusy(false);
    }
  };
  return (
    <Modal labelledBy="recover-title" onClose={onClose} className="modal-form">
      <form onSubmit={submit} noValidate>
        <header class="modal-header">
          <h2 id="recover-title">Recover missed events</h2>
        </header>
        <div class="modal-body">
          <p>
            Every event since this time that this endpoint subscribes to and has not received successfully is
            delivered again: failed deliveries are resent, and events it never got (while paused or disabled)
            are sent for the first time.
          </p>
          <div class="field">
            <label for="recover-since">Since (your local time)</label>
            <input
              id="recover-since"
              type="datetime-local"
              value={since}
              data-autofocus
              onInput={(event) => setSince(event.currentTarget.value)}
            />
          </div>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <SubmitFooter onClose={onClose} busy={busy} label={busy ? 'Starting…' : 'Start recovery'} />
      </form>
    </Modal>
  );
}

function RecoveryPanel({ recovery, onDismiss }: { recovery: Recovery; onDismiss: () => void }) {
  const done = recovery.status === 'done';
  return (
    <section class="notice recovery" aria-labelledby="recovery-title">
      <div class="test-result-head">
        <h2 id="recovery-title">{done ? 'Recovery finished' : 'Recovering…'}</h2>
        {done && (
          <button type="button" class="icon-button" aria-label="Dismiss recovery" onClick={onDismiss}>
            <svg viewBox="0 0 20 20" aria-hidden="true" width="20" height="20">
              <path d="M5 5l10 10M15 5L5 15" />
            </svg>
          </button>
        )}
      </div>
      <p role="status" data-testid="recovery-progress">
        {!done && <Spinner />} {plural(recovery.queued, 'delivery', 'deliveries')} queued,{' '}
        {plural(recovery.skipped, 'event')} skipped (already delivered or pending)
        {recovery.stopped_reason ? `; stopped: ${recovery.stopped_reason}` : ''}. From{' '}
        <AbsoluteTime iso={recovery.since} /> to <AbsoluteTime iso={recovery.until} />.
      </p>
    </section>
  );
}

/** One webhook: its settings, actions, delivery health and live delivery log. */
export function WebhookDetail({
  client,
  webhook,
  health,
  onEdit,
  onDelete,
  onSetActive,
  announce,
}: WebhookDetailProps) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [eventType, setEventType] = useState('');
  const feed = useDeliveryFeed(client, {
    webhookId: webhook.id,
    status: status || undefined,
    eventType: eventType || undefined,
  });
  const [testEvent, setTestEvent] = useState('');
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<TestResult | null>(null);
  const [toggling, setToggling] = useState(false);
  const [dialog, setDialog] = useState<'rotate' | 'recover' | null>(null);
  const [recovery, setRecovery] = useState<Recovery | null>(null);
  const webhooks = useMemo(() => new Map([[webhook.id, webhook]]), [webhook]);
  const disabled = !webhook.is_active && Boolean(webhook.disabled_reason);
  const failingSince = health?.failing_since ?? null;

  // A running recovery's progress, read every 2 s until it is done.
  const recoveryId = recovery?.status === 'running' ? recovery.recovery_id : null;
  useEffect(() => {
    if (!recoveryId) return;
    const timer = setTimeout(async () => {
      try {
        const next = await client.recoveryStatus(recoveryId);
        setRecovery(next);
        feed.refresh();
      } catch (caught) {
        announce(caught instanceof Error ? caught.message : 'Reading the recovery failed.', 'error');
      }
    }, RECOVERY_POLL_MS);
    return () => clearTimeout(timer);
  }, [client, recoveryId, recovery]);

  const sendTest = async (event: Event) => {
    event.preventDefault();
    setTesting(true);
    try {
      const result = await client.testWebhook(webhook.id, testEvent || undefined);
      setTestResult(result);
      announce(
        result.status === 'sent'
          ? `Test delivered: your endpoint answered ${result.status_code}.`
          : `Test failed: ${result.error ?? `your endpoint answered ${result.status_code}`}.`,
        result.status === 'sent' ? 'success' : 'error',
      );
      feed.refresh();
    } catch (caught) {
      announce(caught instanceof Error ? caught.message : 'Sending the test failed.', 'error');
    } finally {
      setTesting(false);
    }
  };

  const setActive = async (active: boolean) => {
    setToggling(true);
    try {
      await onSetActive(active);
    } finally {
      setToggling(false);
    }
  };

  const startRecovery = async (since: string) => {
    const started = await client.recover(webhook.id, since);
    setRecovery(started);
    setDialog(null);
    announce('Recovery started.');
  };

  const headerNames = Object.keys(webhook.headers ?? {});

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
            <ActiveBadge active={webhook.is_active} disabledReason={webhook.disabled_reason} />
            {webhook.description && <span class="description">{webhook.description}</span>}
          </div>
        </div>
        <div class="actions">
          <button type="button" class="button secondary" onClick={onEdit}>
            Edit
          </button>
          {!disabled && (
            <button
              type="button"
              class="button secondary"
              onClick={() => setActive(!webhook.is_active)}
              disabled={toggling}
            >
              {webhook.is_active ? 'Pause' : 'Resume'}
            </button>
          )}
          <button type="button" class="button secondary" onClick={() => setDialog('rotate')}>
            Rotate secret
          </button>
          <button
            type="button"
            class="button secondary"
            onClick={() => setDialog('recover')}
            disabled={!webhook.is_active}
            aria-describedby={!webhook.is_active ? 'recover-why' : undefined}
          >
            Recover
          </button>
          <button type="button" class="button danger-outline" onClick={onDelete}>
            Delete
          </button>
        </div>
      </div>

      {disabled && (
        <div class="notice notice-danger" role="alert">
          <p>
            <strong>Disabled automatically:</strong> every attempt has failed
            {failingSince ? (
              <>
                {' '}
                since <AbsoluteTime iso={failingSince} />
              </>
            ) : (
              ' for days'
            )}
            , so no events are delivered. Fix your endpoint (send a test to check), then re-enable it and
            recover what it missed.
          </p>
          <button
            type="button"
            class="button primary small"
            onClick={() => setActive(true)}
            disabled={toggling}
          >
            {toggling && <Spinner />}
            Re-enable webhook
          </button>
        </div>
      )}
      {!webhook.is_active && !disabled && (
        <p class="notice">
          <strong>Paused.</strong> Events are not delivered to this endpoint, and waiting retries are stopped.
          Test deliveries still work. Resume, then recover to deliver what it missed.
        </p>
      )}
      {!webhook.is_active && (
        <p id="recover-why" class="visually-hidden">
          Recover works once the webhook is active again.
        </p>
      )}

      {recovery && <RecoveryPanel recovery={recovery} onDismiss={() => setRecovery(null)} />}

      <form class="card test-form" onSubmit={sendTest} aria-labelledby="test-title">
        <h2 id="test-title">Send a test</h2>
        <div class="test-row">
          <div class="field inline">
            <label for="test-event">Body</label>
            <select
              id="test-event"
              value={testEvent}
              onChange={(event) => setTestEvent(event.currentTarget.value)}
            >
              <option value="">Generic test event</option>
              {EVENT_CATALOGUE.map((entry) => (
                <option key={entry.type} value={entry.type}>
                  Example of {entry.type}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="button primary" disabled={testing}>
            {testing && <Spinner />}
            {testing ? 'Sending test…' : 'Send test'}
          </button>
        </div>
      </form>

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
          <dt>Custom headers</dt>
          <dd class="mono break">
            {headerNames.length ? headerNames.join(', ') : <span class="muted">None</span>}
          </dd>
        </div>
        <div>
          <dt>Rate limit</dt>
          <dd>{webhook.rate_limit ? `${webhook.rate_limit} per second` : 'No limit'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <AbsoluteTime iso={webhook.created_at} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <AbsoluteTime iso={webhook.updated_at} />
          </dd>
        </div>
        <div>
          <dt>Webhook ID</dt>
          <dd class="mono break">{webhook.id}</dd>
        </div>
      </dl>

      <section class="card" aria-labelledby="health-title">
        <h2 id="health-title">Delivery health</h2>
        {feed.items ? (
          <DeliveryChart deliveries={feed.items} now={feed.updatedAt || Date.now()} />
        ) : (
          <div class="skeleton chart-skeleton" />
        )}
      </section>

      <DeliveryLog
        client={client}
        feed={feed}
        webhooks={webhooks}
        status={status}
        eventType={eventType}
        onFilter={(nextStatus, nextEvent) => {
          setStatus(nextStatus);
          setEventType(nextEvent);
        }}
        announce={announce}
        idPrefix="wh-log"
        headingId="deliveries-title"
        heading="Deliveries"
        emptyText={
          <>
            <strong>No deliveries yet.</strong> Use <em>Send test</em> to send a sample request now, or wait
            for one of the subscribed events to happen.
          </>
        }
      />

      {dialog === 'rotate' && (
        <RotateDialog client={client} webhook={webhook} onClose={() => setDialog(null)} announce={announce} />
      )}
      {dialog === 'recover' && (
        <RecoverDialog
          defaultSince={
            failingSince
              ? Date.parse(failingSince)
              : Math.max(Date.parse(webhook.created_at), Date.now() - 3_600_000)
          }
          onStart={startRecovery}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
