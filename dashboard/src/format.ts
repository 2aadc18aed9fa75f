/** Times are shown relative ("3 min ago") with the absolute time in a `title`. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * "just now", "12 seconds ago", "in 5 minutes", "yesterday", or a date beyond a week.
 * @param past the time is known to have passed (a creation time): if the server's clock runs ahead
 *   of this browser's, it still reads "just now" rather than "in 3 seconds"
 */
export function formatRelative(iso: string, nowMs: number, past = false): string {
  let diff = Date.parse(iso) - nowMs;
  if (Number.isNaN(diff)) return iso;
  if (past) diff = Math.min(diff, 0);
  const size = Math.abs(diff);
  if (size < 5 * SECOND) return diff <= 0 ? 'just now' : 'in a moment';
  if (size < MINUTE) return relative.format(Math.round(diff / SECOND), 'second');
  if (size < HOUR) return relative.format(Math.round(diff / MINUTE), 'minute');
  if (size < DAY) return relative.format(Math.round(diff / HOUR), 'hour');
  if (size < 7 * DAY) return relative.format(Math.round(diff / DAY), 'day');
  return shortDate.format(new Date(iso));
}

export function formatAbsolute(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : absolute.format(date);
}

/** "14:05", for chart axes. */
export function formatClock(ms: number): string {
  return clock.format(new Date(ms));
}

/** "1 attempt", "3 attempts". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** A short description of an HTTP status code for people, e.g. "200 OK". */
export function describeStatus(code: number): string {
  const reasons: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    204: 'No Content',
    301: 'Moved Permanently',
    302: 'Found',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    408: 'Request Timeout',
    410: 'Gone',
    413: 'Payload Too Large',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  const reason = reasons[code];
  return reason ? `${code} ${reason}` : String(code);
}

/** Pretty JSON for display; falls back to the string itself. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? '';
}

/**
 * A countdown to a scheduled retry: "in 4 s", "in 2 min 5 s", "in 3 h 10 min"; "now" once due
 * (never "just now", which reads as the past).
 */
export function formatCountdown(iso: string, nowMs: number): string {
  const left = Math.ceil((Date.parse(iso) - nowMs) / SECOND);
  if (Number.isNaN(left)) return iso;
  if (left <= 0) return 'now';
  if (left < 60) return `in ${left} s`;
  const minutes = Math.floor(left / 60);
  if (minutes < 60) return `in ${minutes} min${left % 60 ? ` ${left % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** Why a delivery stopped without giving up on its own, in words for its row; null otherwise. */
export function stoppedReason(error: string | null): string | null {
  if (!error) return null;
  if (error === 'webhook paused') return 'Stopped: webhook paused';
  if (error.startsWith('webhook disabled')) return 'Stopped: webhook disabled (failing)';
  if (error === 'webhook deleted') return 'Stopped: webhook deleted';
  if (error.startsWith('event expired')) return 'Stopped: event expired';
  return null;
}

/** "92%" for a 0–1 rate. */
export function formatRate(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
