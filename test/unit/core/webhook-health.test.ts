import type { DeliveryOut } from '../../../functions/core/delivery-log.ts';
import { summarizeHealth } from '../../../functions/core/webhook-health.ts';
import { webhookRecord } from '../support/fakes.ts';

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
