import { useRef, useState } from 'preact/hooks';
import { ApiError, type FieldError, type Webhook, type WebhookInput } from '../api.ts';
import { EVENT_CATALOGUE } from '../catalogue.ts';
import { Modal, SubmitFooter } from './modal.tsx';

type Field = 'url' | 'events' | 'description' | 'headers' | 'rate_limit';

const FIELD_LABELS: Record<Field, string> = {
  url: 'URL',
  events: 'Events',
  description: 'Description',
  headers: 'Headers',
  rate_limit: 'Rate limit',
};
const FIELDS = Object.keys(FIELD_LABELS) as Field[];

interface HeaderRow {
  name: string;
  value: string;
}

export interface WebhookFormProps {
  /** The webhook to edit; a new one is created when absent. */
  webhook?: Webhook;
  /** Sends the form to the API; an ApiError with details is shown beside the fields. */
  onSubmit: (input: WebhookInput) => Promise<void>;
  onClose: () => void;
}

/** `events.0` → `events`; anything the form has no field for goes to the form-level message. */
function fieldOf(path: string): Field | null {
  const head = path.split('.')[0] ?? '';
  return (FIELDS as string[]).includes(head) ? (head as Field) : null;
}

/** "url must use https" → "URL must use https"; other messages get a capital letter. */
function humanize(field: Field | null, message: string): string {
  if (field && message.startsWith(`${field} `)) return `${FIELD_LABELS[field]}${message.slice(field.length)}`;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** Maps the API's validation details by `path` to the form's fields: each message kept apart, never glued. */
export function mapFieldErrors(details: readonly FieldError[]): {
  fields: Partial<Record<Field, string[]>>;
  other: string[];
} {
  const fields: Partial<Record<Field, string[]>> = {};
  const other: string[] = [];
  for (const detail of details) {
    const field = fieldOf(detail.path);
    const text = humanize(field, detail.message);
    if (field) {
      const list = fields[field] ?? [];
      if (!list.includes(text)) list.push(text);
      fields[field] = list;
    } else other.push(detail.path ? `${detail.path}: ${text}` : text);
  }
  return { fields, other };
}

/** The messages of one field, one per line. */
function FieldErrors({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <ul id={id} class="field-error">
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

/** Create or edit a webhook: URL, events (with the catalogue's descriptions) and a description. */
export function WebhookForm({ webhook, onSubmit, onClose }: WebhookFormProps) {
  const editing = webhook !== undefined;
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [events, setEvents] = useState<string[]>(webhook?.events ?? []);
  const [description, setDescription] = useState(webhook?.description ?? '');
  // Stored header values are never shown (the API answers `***`): an edit keeps them unless changed.
  const [headers, setHeaders] = useState<HeaderRow[]>(() =>
    Object.keys(webhook?.headers ?? {}).map((name) => ({ name, value: '' })),
  );
  const [headersChanged, setHeadersChanged] = useState(!editing);
  const [rateLimit, setRateLimit] = useState(webhook?.rate_limit ? String(webhook.rate_limit) : '');
  const [errors, setErrors] = useState<Partial<Record<Field, string[]>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const allSelected = EVENT_CATALOGUE.every((entry) => events.includes(entry.type));
  const toggle = (type: string, checked: boolean) =>
    setEvents((current) =>
      // Keep the catalogue's order, whatever order the boxes were ticked in.
      EVENT_CATALOGUE.map((entry) => entry.type).filter((t) => (t === type ? checked : current.includes(t))),
    );

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    setFormError(null);
    const limit = rateLimit.trim() === '' ? null : Number(rateLimit);
    if (limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) {
      setErrors({ rate_limit: ['Rate limit must be a whole number from 1 to 1000, or empty for no limit'] });
      setBusy(false);
      return;
    }
    const input: WebhookInput = {
      url: url.trim(),
      events,
      description: description.trim(),
      rate_limit: limit,
    };
    if (headersChanged) {
      input.headers = Object.fromEntries(
        headers.filter((row) => row.name.trim() !== '').map((row) => [row.name.trim(), row.value]),
      );
    }
    try {
      await onSubmit(input);
    } catch (caught) {
      if (caught instanceof ApiError && caught.details.length > 0) {
        const mapped = mapFieldErrors(caught.details);
        setErrors(mapped.fields);
        setFormError(mapped.other.length ? mapped.other.join(' ') : null);
        // Focus the first field the API complained about, so keyboard and screen reader users land on it.
        const first = FIELDS.find((field) => mapped.fields[field]);
        requestAnimationFrame(() => {
          const target = first ? form.current?.querySelector<HTMLElement>(`[data-field="${first}"]`) : null;
          target?.focus();
        });
      } else {
        setFormError(caught instanceof Error ? caught.message : 'Saving failed. Try again.');
      }
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (field: Field) =>
    [`wh-${field}-hint`, errors[field] ? `wh-${field}-error` : ''].filter(Boolean).join(' ');

  return (
    <Modal labelledBy="webhook-form-title" onClose={onClose} className="modal-form">
      <form ref={form} onSubmit={submit} noValidate>
        <header class="modal-header">
          <h2 id="webhook-form-title">{editing ? 'Edit webhook' : 'Add a webhook'}</h2>
          <button type="button" class="icon-button" aria-label="Close" onClick={onClose}>
            <svg viewBox="0 0 20 20" aria-hidden="true" width="20" height="20">
              <path d="M5 5l10 10M15 5L5 15" />
            </svg>
          </button>
        </header>
        <div class="modal-body">
          {formError && (
            <p class="form-error" role="alert">
              {formError}
            </p>
          )}
          <div class="field">
            <label for="wh-url">Endpoint URL</label>
            <input
              id="wh-url"
              data-field="url"
              data-autofocus
              type="url"
              inputMode="url"
              autocomplete="off"
              spellcheck={false}
              class="mono"
              placeholder="https://example.com/webhooks/encrata"
              value={url}
              onInput={(event) => setUrl(event.currentTarget.value)}
              aria-invalid={errors.url ? 'true' : undefined}
              aria-describedby={describedBy('url')}
            />
            <p id="wh-url-hint" class="hint">
              Must start with <code>https://</code>. Encrata sends a signed JSON POST here for each event.
            </p>
            <FieldErrors id="wh-url-error" messages={errors.url} />
          </div>

          <fieldset class="field events">
            <legend>Events to send</legend>
            <div class="events-tools">
              <button
                type="button"
                class="link-button"
                onClick={() => setEvents(allSelected ? [] : EVENT_CATALOGUE.map((entry) => entry.type))}
              >
                {allSelected ? 'Clear all' : 'Select all'}
              </button>
            </div>
            <ul class="event-options">
              {EVENT_CATALOGUE.map((entry, index) => (
                <li key={entry.type}>
                  <label class="event-option">
                    <input
                      type="checkbox"
                      data-field={index === 0 ? 'events' : undefined}
                      checked={events.includes(entry.type)}
                      onChange={(event) => toggle(entry.type, event.currentTarget.checked)}
                      aria-invalid={errors.events ? 'true' : undefined}
                      aria-describedby={[
                        `event-${entry.type.replaceAll('.', '-')}-desc`,
                        errors.events ? 'wh-events-error' : '',
                      ]
                        .filter(Boolean)
                        .join(' ')}
                    />
                    <span class="event-text">
                      <span class="event-name">{entry.type}</span>
                      <span id={`event-${entry.type.replaceAll('.', '-')}-desc`} class="event-description">
                        {entry.description}
                      </span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
            <FieldErrors id="wh-events-error" messages={errors.events} />
          </fieldset>

          <div class="field">
            <label for="wh-description">
              Description <span class="optional">(optional)</span>
            </label>
            <input
              id="wh-description"
              data-field="description"
              type="text"
              maxLength={500}
              autocomplete="off"
              placeholder="e.g. CRM sync (production)"
              value={description}
              onInput={(event) => setDescription(event.currentTarget.value)}
              aria-invalid={errors.description ? 'true' : undefined}
              aria-describedby={describedBy('description')}
            />
            <p id="wh-description-hint" class="hint">
              A note for your team about what this endpoint is for.
            </p>
            <FieldErrors id="wh-description-error" messages={errors.description} />
          </div>

          <fieldset class="field">
            <legend>
              Custom headers <span class="optional">(optional)</span>
            </legend>
            <p id="wh-headers-hint" class="hint">
              Sent with every delivery, e.g. your endpoint's own <code>Authorization</code>. Values are stored
              encrypted and never shown again
              {editing && headers.length > 0 ? ': leave them untouched to keep them' : ''}.
            </p>
            {headers.map((row, index) => (
              <div class="header-row" key={index}>
                <input
                  type="text"
                  aria-label={`Header ${index + 1} name`}
                  class="mono"
                  placeholder="Authorization"
                  autocomplete="off"
                  spellcheck={false}
                  value={row.name}
                  data-field={index === 0 ? 'headers' : undefined}
                  onInput={(event) => {
                    const name = event.currentTarget.value;
                    setHeadersChanged(true);
                    setHeaders((rows) => rows.map((r, i) => (i === index ? { ...r, name } : r)));
                  }}
                />
                <input
                  type="password"
                  aria-label={`Header ${index + 1} value`}
                  class="mono"
                  placeholder={editing && !headersChanged ? '••• (kept)' : 'Bearer …'}
                  autocomplete="off"
                  value={row.value}
                  onInput={(event) => {
                    const value = event.currentTarget.value;
                    setHeadersChanged(true);
                    setHeaders((rows) => rows.map((r, i) => (i === index ? { ...r, value } : r)));
                  }}
                />
                <button
                  type="button"
                  class="button secondary small"
                  aria-label={`Remove header ${index + 1}`}
                  onClick={() => {
                    setHeadersChanged(true);
                    setHeaders((rows) => rows.filter((_, i) => i !== index));
                  }}
                >
                  Remove
                </button>
              </div>
            ))}
            {headers.length < 10 && (
              <div>
                <button
                  type="button"
                  class="button secondary small"
                  onClick={() => {
                    setHeadersChanged(true);
                    // Changing one header sends them all: kept values must be typed again.
                    setHeaders((rows) => [
                      ...(headersChanged ? rows : rows.map((r) => ({ ...r, value: '' }))),
                      { name: '', value: '' },
                    ]);
                  }}
                >
                  Add header
                </button>
              </div>
            )}
            {editing && headersChanged && Object.keys(webhook?.headers ?? {}).length > 0 && (
              <p class="hint">
                Changing the headers replaces all of them: type the values of those you keep.
              </p>
            )}
            <FieldErrors id="wh-headers-error" messages={errors.headers} />
          </fieldset>

          <div class="field">
            <label for="wh-rate-limit">
              Rate limit <span class="optional">(optional)</span>
            </label>
            <input
              id="wh-rate-limit"
              data-field="rate_limit"
              type="number"
              inputMode="numeric"
              min={1}
              max={1000}
              placeholder="No limit"
              value={rateLimit}
              onInput={(event) => setRateLimit(event.currentTarget.value)}
              aria-invalid={errors.rate_limit ? 'true' : undefined}
              aria-describedby={describedBy('rate_limit')}
            />
            <p id="wh-rate_limit-hint" class="hint">
              Most deliveries per second to this URL (1–1000). Deliveries over it wait; none is lost.
            </p>
            <FieldErrors id="wh-rate_limit-error" messages={errors.rate_limit} />
          </div>
        </div>
        <SubmitFooter
          onClose={onClose}
          busy={busy}
          label={editing ? (busy ? 'Saving…' : 'Save changes') : busy ? 'Creating…' : 'Create webhook'}
        />
      </form>
    </Modal>
  );
}
