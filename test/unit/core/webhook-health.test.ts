import {
  type DeliveryLogPorts,
  type DeliveryOut,
  MAX_DELIVERY_PAGE,
} from '../../../functions/core/delivery-log.ts';
import { eventKeyFor } from '../../../functions/core/ids.ts';
import type { EventItem } from '../../../functions/core/records.ts';
import {
  HEALTH_MAX_PAGES,
  HEALTH_WINDOW_MS,
  summarizeHealth,
  webhookHealth,
} from '../../../functions/core/webhook-health.ts';
import {
  FakeDeliveryLog,
  FakeEventStore,
  FakeWebhookStore,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const HOUR = 3_600_000;

function delivery(overrides: Partial<DeliveryOut> & Pick<DeliveryOut, 'webhook_id' | 'status'>): DeliveryOut {
  return {
    id: `dlv_${Math.random()}`,
    event_type: 'lookup.completed',
    payload: {},
    attempts: 1,
    response_status: 200,
    response_body: null,
    last_attempt_at: null,
    next_attempt_at: null,
    error: null,
    created_at: new Date(NOW - HOUR).toISOString(),
    ...overrides,
  };
}

describe('summarizeHealth', () => {
  it('gives each webhook its newest delivery, its last 24 h by status and the success rate', () => {
    const healthy = webhookRecord({ id: 'wh_a' });
    const failing = webhookRecord({
      id: 'wh_b',
      is_active: false,
      disabled_reason: 'failing',
      failing_since: '2026-11-26T00:00:00.000Z',
    });
    const quiet = webhookRecord({ id: 'wh_c' });
    const deliveries = [
      delivery({ webhook_id: 'wh_a', status: 'success', last_attempt_at: '2026-12-01T11:59:00.000Z' }),
      delivery({ webhook_id: 'wh_b', status: 'failed' }),
      delivery({ webhook_id: 'wh_a', status: 'failed' }),
      delivery({ webhook_id: 'wh_a', status: 'success' }),
      delivery({ webhook_id: 'wh_a', status: 'pending' }),
      delivery({ webhook_id: 'wh_a', status: 'success' }),
      // Older than 24 h: not counted, but not the newest either.
      delivery({ webhook_id: 'wh_a', status: 'failed', created_at: new Date(NOW - 25 * HOUR).toISOString() }),
      // Tests and deliveries of unknown webhooks are not counted.
      delivery({ webhook_id: 'wh_c', status: 'failed', event_type: 'test' }),
      delivery({ webhook_id: 'wh_gone', status: 'failed' }),
    ];
    const [a, b, c] = summarizeHealth([healthy, failing, quiet], deliveries, NOW, false);
    expect(a).toEqual({
      webhook_id: 'wh_a',
      is_active: true,
      disabled_reason: null,
      failing_since: null,
      last_delivery_at: '2026-12-01T11:59:00.000Z',
      last_delivery_status: 'success',
      deliveries_24h: { success: 3, failed: 1, pending: 1 },
      success_rate_24h: 0.75,
      sampled: false,
    });
    expect(b).toMatchObject({
      is_active: false,
      disabled_reason: 'failing',
      failing_since: '2026-11-26T00:00:00.000Z',
      last_delivery_status: 'failed',
      deliveries_24h: { success: 0, failed: 1, pending: 0 },
      success_rate_24h: 0,
    });
    expect(c).toMatchObject({ last_delivery_at: null, success_rate_24h: null });
  });

  it('says when the counts come from a sample', () => {
    const [health] = summarizeHealth([webhookRecord()], [], NOW, true);
    expect(health?.sampled).toBe(true);
    expect(health?.deliveries_24h).toEqual({ success: 0, failed: 0, pending: 0 });
  });
});

describe('webhookHealth (reading the workspace log)', () => {
  const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };

  /** `count` events to wh_a, one every `everyMs` going back from `newestAgoMs`, never attempted (pending). */
  function events(count: number, newestAgoMs: number, everyMs: number, tag: string): EventItem[] {
    return Array.from({ length: count }, (_, i) => {
      const at = NOW - newestAgoMs - i * everyMs;
      const key = eventKeyFor(at, WORKSPACE, `${tag}_${i}`);
      return {
        workspace_id: WORKSPACE,
        id: `e#${key}`,
        event_id: `${tag}_${i}`,
        event_type: 'lookup.completed',
        body: JSON.stringify({ event: 'lookup.completed', data: {}, created_at: new Date(at).toISOString() }),
        created_at: new Date(at).toISOString(),
        received_at: new Date(at).toISOString(),
        targets: ['wh_a'],
        expires_at: Math.floor(NOW / 1000) + 30 * 86_400,
      };
    });
  }

  function setup(items: EventItem[]) {
    const events = new FakeEventStore();
    for (const item of items) events.items.set(`${WORKSPACE}/${item.id}`, item);
    const read = new Set<string>();
    const page = events.page.bind(events);
    events.page = async (...args: Parameters<typeof page>) => {
      const result = await page(...args);
      for (const item of result.items) read.add(item.event_id);
      return result;
    };
    const ports = {
      webhooks: new FakeWebhookStore([webhookRecord({ id: 'wh_a' })]),
      log: new FakeDeliveryLog([]),
      events,
    } satisfies DeliveryLogPorts;
    return { ports, read };
  }

  it('reads back to 24 hours ago and no further: the page that reaches past it is the last', async () => {
    // 300 in the last 20 h, then 300 older than a day: page 1 (250) is all recent, page 2 crosses.
    const { ports, read } = setup([
      ...events(300, 60_000, 4 * 60_000, 'new'),
      ...events(300, HEALTH_WINDOW_MS + HOUR, 60_000, 'old'),
    ]);
    const [health] = await webhookHealth(ports, caller, NOW);
    expect(health?.deliveries_24h).toEqual({ success: 0, failed: 0, pending: 300 });
    expect(health?.last_delivery_status).toBe('pending');
    expect(health?.last_delivery_at).toBe(new Date(NOW - 60_000).toISOString());
    expect(health?.sampled).toBe(false);
    // Two pages of the workspace log (250 + 250), not a third: all past the crossing page is older.
    const oldRead = [...read].filter((id) => id.startsWith('old_')).map((id) => Number(id.slice(4)));
    expect(oldRead.length).toBeGreaterThan(0);
    // The older events past the crossing page are never read (without the stop, all 300 would be).
    expect(oldRead.length).toBeLessThan(300);
  });

  it('stops at the end of the log, sampled false', async () => {
    const { ports } = setup(events(10, 60_000, 60_000, 'few'));
    const [health] = await webhookHealth(ports, caller, NOW);
    expect(health?.deliveries_24h.pending).toBe(10);
    expect(health?.sampled).toBe(false);
  });

  it('reads at most its pages, and says the counts are a sample when the day held more', async () => {
    const { ports } = setup(events(HEALTH_MAX_PAGES * MAX_DELIVERY_PAGE + 100, 60_000, 30_000, 'busy'));
    const [health] = await webhookHealth(ports, caller, NOW);
    expect(health?.deliveries_24h.pending).toBe(HEALTH_MAX_PAGES * MAX_DELIVERY_PAGE);
    expect(health?.sampled).toBe(true);
  });

  it('is not a sample when the day fits the pages exactly', async () => {
    // Exactly the pages' worth within the day, then older ones: the last page read crosses the window.
    const { ports } = setup([
      ...events(HEALTH_MAX_PAGES * MAX_DELIVERY_PAGE - 1, 60_000, 30_000, 'day'),
      ...events(50, HEALTH_WINDOW_MS + HOUR, 60_000, 'old'),
    ]);
    const [health] = await webhookHealth(ports, caller, NOW);
    expect(health?.deliveries_24h.pending).toBe(HEALTH_MAX_PAGES * MAX_DELIVERY_PAGE - 1);
    expect(health?.sampled).toBe(false);
  });
});
