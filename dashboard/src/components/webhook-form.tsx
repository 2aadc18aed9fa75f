import { useRef, useState } from 'preact/hooks';
import { ApiError, type FieldError, type Webhook, type WebhookInput } from '../api.ts';
import { EVENT_CATALOGUE } from '../catalogue.ts';
import { Spinner } from './bits.tsx';
import { Modal } from './modal.tsx';

type Field = 'url' | 'events' | 'description';

const FIELD_LABELS: Record<Field, string> = { url: 'URL', events: 'Events', description: 'Description' };

export interface WebhookFormProps {
  /** The webhook to edit; a new one is created when absent. */
  webhook?: Webhook;
  /** Sends the form to the API; an ApiError with details is shown beside the fields. */
  onSubmit: (input: WebhookInput) => Promise<void>;
  onClose: () => void;
}

/** `events.0` → `events`; anything the form has no field for goes to the form-level message. */
function fieldOf(path: string): Field | null {
  const head = path.split('.')[0];
  return head === 'url' || head === 'events' || head === 'description' ? head : null;
}

/** "url must use https" → "URL must use https"; other messages get a capital letter. */
function humanize(field: Field | null, message: string): string {
  if (field && message.startsWith(`${field} `)) return `${FIELD_LABELS[field]}${message.slice(field.length)}`;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** Maps the API's validation details by `path` to the form's fields. */
export function mapFieldErrors(details: readonly FieldError[]): {
  fields: Partial<Record<Field, string>>;
  other: string[];
} {
  const fields: Partial<Record<Field, string>> = {};
  const other: string[] = [];
  for (const detail of details) {
    const field = fieldOf(detail.path);
    const text = humanize(field, detail.message);
    if (field) fields[field] = fields[field] ? `${fields[field]} ${text}` : text;
    else other.push(detail.path ? `${detail.path}: ${text}` : text);
  }
  return { fields, other };
}

/** Create or edit a webhook: URL, events (with the catalogue's descriptions) and a description. */
export function WebhookForm({ webhook, onSubmit, onClose }: WebhookFormProps) {
  const editing = webhook !== undefined;
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [events, setEvents] = useState<string[]>(webhook?.events ?? []);
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
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
    try {
      await onSubmit({ url: url.trim(), events, description: description.trim() });
    } catch (caught) {
      if (caught instanceof ApiError && caught.details.length > 0) {
        const mapped = mapFieldErrors(caught.details);
        setErrors(mapped.fields);
        setFormError(mapped.other.length ? mapped.other.join(' ') : null);
        // Focus the first field the API complained about, so keyboard and screen reader users land on it.
        const first = (['url', 'events', 'description'] as const).find((field) => mapped.fields[field]);
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
            {errors.url && (
              <p id="wh-url-error" class="field-error">
                {errors.url}
              </p>
            )}
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
            {errors.events && (
              <p id="wh-events-error" class="field-error">
                {errors.events}
              </p>
            )}
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
            {errors.description && (
              <p id="wh-description-error" class="field-error">
                {errors.description}
              </p>
            )}
          </div>
        </div>
        <footer class="modal-footer">
          <button type="button" class="button secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy && <Spinner />}
            {editing ? (busy ? 'Saving…' : 'Save changes') : busy ? 'Creating…' : 'Create webhook'}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
