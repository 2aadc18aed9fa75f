import type { ComponentChildren } from 'preact';
import type { DeliveryStatus } from '../api.ts';
import { formatAbsolute, formatRelative } from '../format.ts';

/**
 * A relative time ("5 minutes ago") with the absolute time on hover and in `datetime`.
 * Times are in the past unless `future` is set (a scheduled retry).
 */
export function RelativeTime({ iso, now, future = false }: { iso: string; now: number; future?: boolean }) {
  return (
    <time dateTime={iso} title={formatAbsolute(iso)}>
      {formatRelative(iso, now, !future)}
    </time>
  );
}

/** An absolute time in text (reachable by touch and screen readers, unlike a hover tooltip). */
export function AbsoluteTime({ iso }: { iso: string }) {
  return <time dateTime={iso}>{formatAbsolute(iso)}</time>;
}

/** Active, Paused, or Disabled (failing) when it was disabled automatically. */
export function ActiveBadge({ active, disabledReason }: { active: boolean; disabledReason?: string | null }) {
  if (!active && disabledReason) {
    return (
      <span class="badge badge-danger">
        <span class="dot" aria-hidden="true" />
        Disabled: failing
      </span>
    );
  }
  return active ? (
    <span class="badge badge-success">
      <span class="dot" aria-hidden="true" />
      Active
    </span>
  ) : (
    <span class="badge badge-muted">
      <span class="dot" aria-hidden="true" />
      Paused
    </span>
  );
}

const DELIVERY_LABELS: Record<DeliveryStatus, { text: string; tone: string }> = {
  success: { text: 'Delivered', tone: 'success' },
  failed: { text: 'Failed', tone: 'danger' },
  pending: { text: 'Pending', tone: 'warning' },
};

export function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  const label = DELIVERY_LABELS[status] ?? { text: status, tone: 'muted' };
  return (
    <span class={`badge badge-${label.tone}`}>
      <span class="dot" aria-hidden="true" />
      {label.text}
    </span>
  );
}

export function EventChips({ events }: { events: readonly string[] }) {
  return (
    <ul class="chips" aria-label="Subscribed events">
      {events.map((event) => (
        <li key={event} class="chip">
          {event}
        </li>
      ))}
    </ul>
  );
}

/** A small inline spinner; its meaning is always given in text next to it. */
export function Spinner() {
  return <span class="spinner" aria-hidden="true" />;
}

/**
 * A block of code or JSON that may scroll sideways. It takes keyboard focus so a keyboard user can scroll
 * it too (axe: scrollable-region-focusable); that is why a non-interactive element has a tab stop.
 */
export function CodeBlock({ class: className, children }: { class?: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <pre class={className} tabIndex={0}>
      {children}
    </pre>
  );
}
