import type { Delivery } from '../api.ts';
import { formatClock, plural } from '../format.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The windows the chart can show; it picks the shortest one that holds every loaded delivery. */
const WINDOWS = [
  { span: 15 * MINUTE, bucket: MINUTE, label: 'Last 15 minutes', since: '15 min ago' },
  { span: HOUR, bucket: 5 * MINUTE, label: 'Last hour', since: '1 hour ago' },
  { span: 6 * HOUR, bucket: 15 * MINUTE, label: 'Last 6 hours', since: '6 hours ago' },
  { span: 24 * HOUR, bucket: HOUR, label: 'Last 24 hours', since: '24 hours ago' },
  { span: 7 * 24 * HOUR, bucket: 6 * HOUR, label: 'Last 7 days', since: '7 days ago' },
] as const;

export interface Bucket {
  start: number;
  end: number;
  success: number;
  failed: number;
  pending: number;
}

export interface ChartData {
  label: string;
  /** Where the time axis starts, e.g. "1 hour ago". */
  since: string;
  buckets: Bucket[];
  totals: { success: number; failed: number; pending: number };
}

/** When a delivery's outcome happened: its last attempt, or its creation while none was made. */
function timeOf(delivery: Delivery): number {
  return Date.parse(delivery.last_attempt_at ?? delivery.created_at);
}

/** Groups deliveries into equal time buckets ending now. Pure, so the numbers are easy to check. */
export function bucketDeliveries(deliveries: readonly Delivery[], now: number): ChartData {
  const oldest = Math.min(now, ...deliveries.map(timeOf));
  const { span, bucket, label, since } = WINDOWS.find((w) => now - oldest <= w.span) ?? WINDOWS[4];
  const count = Math.round(span / bucket);
  // Buckets end on a bucket boundary after now, so bars do not shift as time passes within a bucket.
  const end = Math.ceil((now + 1) / bucket) * bucket;
  const start = end - count * bucket;
  const buckets: Bucket[] = Array.from({ length: count }, (_, index) => ({
    start: start + index * bucket,
    end: start + (index + 1) * bucket,
    success: 0,
    failed: 0,
    pending: 0,
  }));
  const totals = { success: 0, failed: 0, pending: 0 };
  for (const delivery of deliveries) {
    const time = timeOf(delivery);
    if (!(time >= start)) continue;
    // A clock slightly ahead of this browser's lands in the newest bucket.
    const target = buckets[Math.min(Math.floor((time - start) / bucket), count - 1)];
    if (!target || !(delivery.status in totals)) continue;
    target[delivery.status] += 1;
    totals[delivery.status] += 1;
  }
  return { label, since, buckets, totals };
}

export type Health = 'none' | 'healthy' | 'degraded' | 'failing';

/** At a glance: is the endpoint accepting deliveries? Judged on the ten newest finished ones. */
export function assessHealth(deliveries: readonly Delivery[]): { health: Health; text: string } {
  const finished = deliveries.filter((delivery) => delivery.status !== 'pending').slice(0, 10);
  const retrying = deliveries.filter((delivery) => delivery.status === 'pending' && delivery.attempts > 0);
  const newest = finished[0];
  if (!newest) {
    return retrying.length > 0
      ? { health: 'failing', text: 'Deliveries are failing and being retried.' }
      : { health: 'none', text: 'No finished deliveries yet. Send a test to check your endpoint.' };
  }
  const failed = finished.filter((delivery) => delivery.status === 'failed').length;
  if (newest.status === 'failed' || retrying.length > 0) {
    return { health: 'failing', text: 'The newest delivery failed. Check that your endpoint answers 2xx.' };
  }
  if (failed > 0) {
    return {
      health: 'degraded',
      text: `${plural(failed, 'failure')} among the last ${finished.length} deliveries.`,
    };
  }
  return {
    health: 'healthy',
    text:
      finished.length === 1
        ? 'The last delivery succeeded.'
        : `The last ${plural(finished.length, 'delivery', 'deliveries')} succeeded.`,
  };
}

const HEALTH_LABELS: Record<Health, string> = {
  none: 'No data yet',
  healthy: 'Healthy',
  degraded: 'Some failures',
  failing: 'Failing',
};

const BAR_WIDTH = 8;
const GAP = 3;
const HEIGHT = 64;

/**
 * Successes and failures over time as stacked bars (inline SVG, no chart library), with the same
 * numbers in text for screen readers and for anyone who prefers reading to looking.
 */
export function DeliveryChart({ deliveries, now }: { deliveries: readonly Delivery[]; now: number }) {
  const data = bucketDeliveries(deliveries, now);
  const { health, text } = assessHealth(deliveries);
  const max = Math.max(1, ...data.buckets.map((b) => b.success + b.failed + b.pending));
  const width = data.buckets.length * (BAR_WIDTH + GAP) - GAP;
  const total = data.totals.success + data.totals.failed;
  const rate = total > 0 ? Math.round((data.totals.success / total) * 100) : null;
  const scale = (value: number) => (value === 0 ? 0 : Math.max(2, (value / max) * HEIGHT));
  const summary =
    `${data.label}: ${plural(data.totals.success, 'delivered', 'delivered')}, ${plural(data.totals.failed, 'failed', 'failed')}` +
    `${data.totals.pending ? `, ${data.totals.pending} pending` : ''}` +
    `${rate === null ? '' : ` (${rate}% success)`}.`;

  return (
    <div class="chart">
      <div class="chart-head">
        <p class={`health health-${health}`}>
          <span class="dot" aria-hidden="true" />
          <strong>{HEALTH_LABELS[health]}</strong>
          <span class="health-text">{text}</span>
        </p>
        <ul class="legend" aria-hidden="true">
          <li>
            <span class="swatch success" />
            Delivered
          </li>
          <li>
            <span class="swatch failed" />
            Failed
          </li>
          <li>
            <span class="swatch pending" />
            Pending
          </li>
        </ul>
      </div>
      <svg
        class="chart-bars"
        viewBox={`0 0 ${width} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby="chart-title"
      >
        <title id="chart-title">{`Bar chart of deliveries, ${data.label.toLowerCase()}: the numbers are below.`}</title>
        {data.buckets.map((bucket, index) => {
          const x = index * (BAR_WIDTH + GAP);
          const success = scale(bucket.success);
          const failed = scale(bucket.failed);
          const pending = scale(bucket.pending);
          const empty = success + failed + pending === 0;
          return (
            <g key={bucket.start}>
              <title>
                {`${formatClock(bucket.start)}–${formatClock(bucket.end)}: ${bucket.success} delivered, ${bucket.failed} failed${bucket.pending ? `, ${bucket.pending} pending` : ''}`}
              </title>
              <rect class="bar-slot" x={x} y={0} width={BAR_WIDTH} height={HEIGHT} />
              {empty && <rect class="bar-empty" x={x} y={HEIGHT - 1.5} width={BAR_WIDTH} height={1.5} />}
              <rect class="bar-success" x={x} y={HEIGHT - success} width={BAR_WIDTH} height={success} />
              <rect
                class="bar-failed"
                x={x}
                y={HEIGHT - success - failed}
                width={BAR_WIDTH}
                height={failed}
              />
              <rect
                class="bar-pending"
                x={x}
                y={HEIGHT - success - failed - pending}
                width={BAR_WIDTH}
                height={pending}
              />
            </g>
          );
        })}
      </svg>
      <div class="chart-axis" aria-hidden="true">
        <span>{data.since}</span>
        <span>now</span>
      </div>
      <p id="chart-summary" class="chart-summary">
        {summary}
      </p>
    </div>
  );
}
