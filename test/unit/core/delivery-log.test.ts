import fc from 'fast-check';
import { attemptRow } from '../../../functions/core/attempt.ts';
import { newDeliveryState, stopRow } from '../../../functions/core/deliveries.ts';
import {
  type DeliveryLogPorts,
  fanOutFailure,
  type ListDeliveriesQuery,
  listAttempts,
  listDeliveries,
  MAX_READ_PER_LIST,
  type ReadLimits,
  requestHeadersOf,
} from '../../../functions/core/delivery-log.ts';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { deliveryIdFor, eventKeyFor, newDeliveryId } from '../../../functions/core/ids.ts';
import type { DeliveryRow, EventItem } from '../../../functions/core/records.ts';
import { USER_AGENT } from '../../../functions/core/version.ts';
import {
  FakeDeliveryLog,
  FakeEventStore,
  FakeWebhookStore,
  response,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const T0 = Date.parse('2024-05-01T12:00:00.000Z');
const NOW = T0 + 3_600_000;
const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };
const WEBHOOKS = ['wh_a', 'wh_b', 'wh_c'];

function event(n: number, targets: string[], type = 'lookup.completed'): EventItem {
  const at = T0 + n * 1000;
  return {
    workspace_id: WORKSPACE,
    id: `e#${eventKeyFor(at, WORKSPACE, `evt_${n}`)}`,
    event_id: `evt_${n}`,
    event_type: type,
    body: JSON.stringify({ event: type, data: { n }, created_at: new Date(at).toISOString() }),
    created_at: new Date(at).toISOString(),
    received_at: new Date(at).toISOString(),
    targets,
    expires_at: Math.floor(NOW / 1000) + 86_400,
  };
}

/** The rows `attempts` attempts leave (the last one as given), for event `e` and its webhook. */
function rowsFor(
  e: EventItem,
  webhookId: string,
  statuses: ('pending' | 'success' | 'failed')[],
): DeliveryRow[] {
  let state = newDeliveryState({
    deliveryId: deliveryIdFor(e.id.slice(2), WORKSPACE, webhookId),
    workspaceId: WORKSPACE,
    webhookId,
    eventType: e.event_type,
    eventKey: e.id.slice(2),
    eventId: e.event_id,
    createdAt: e.received_at,
  });
  const rows: DeliveryRow[] = [];
  for (const [i, status] of statuses.entries()) {
    const row = attemptRow(
      state,
      response(status === 'success' ? 200 : 500, `answer ${i + 1}`),
      status === 'pending' ? { status, delaySeconds: 60 } : { status },
      { startedMs: Date.parse(e.received_at) + i * 60_000, durationMs: 15 },
    );
    rows.push(row);
    state = {
      ...state,
      seq: row.seq,
      attempts: row.attempts,
      runAttempts: row.run_attempts,
      status: row.status,
    };
  }
  return rows;
}

function setup(events: EventItem[], rows: DeliveryRow[]) {
  const ports = {
    webhooks: new FakeWebhookStore(WEBHOOKS.map((id) => webhookRecord({ id }))),
    log: new FakeDeliveryLog(rows),
    events: new FakeEventStore(),
  } satisfies DeliveryLogPorts;
  for (const e of events) ports.events.items.set(`${WORKSPACE}/${e.id}`, e);
  return ports;
}

async function allPages(
  ports: DeliveryLogPorts,
  query: Omit<ListDeliveriesQuery, 'before'>,
  limit: number,
  limits?: ReadLimits,
) {
  const seen: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 500; page++) {
    const result = await listDeliveries(ports, caller, { ...query, limit, before }, NOW, limits);
    seen.push(...result.items.map((d) => d.id));
    if (!result.nextCursor) return seen;
    before = result.nextCursor;
  }
  throw new Error('paging did not end');
}

describe('listDeliveries', () => {
  const e1 = event(1, ['wh_a', 'wh_b']);
  const e2 = event(2, ['wh_a']);
  const e3 = event(3, ['wh_a', 'wh_c'], 'credits.low');
  const id = (e: EventItem, w: string) => deliveryIdFor(e.id.slice(2), WORKSPACE, w);

  it('lists the never-attempted deliveries of an event whose fan-out failed for good as failed, saying why', async () => {
    const failed = {
      ...event(4, ['wh_a', 'wh_b']),
      fanout_failed_at: new Date(T0 + 5000).toISOString(),
      fanout_error: 'SQS refused some of its delivery messages',
    };
    // wh_b's message did go out before the failure: its rows say what happened.
    const ports = setup([e1, failed], rowsFor(failed, 'wh_b', ['success']));
    const { items } = await listDeliveries(ports, caller, {}, NOW);
    const a = items.find((d) => d.id === id(failed, 'wh_a'));
    expect(a).toMatchObject({ status: 'failed', attempts: 0, next_attempt_at: null, last_attempt_at: null });
    expect(a?.error).toBe(fanOutFailure(failed));
    expect(a?.error).toContain('SQS refused some of its delivery messages');
    expect(a?.error).toContain('npm run redrive -- --queue events');
    expect(items.find((d) => d.id === id(failed, 'wh_b'))).toMatchObject({ status: 'success', error: null });
    // The others stay pending, and the filters agree with what is shown.
    expect(items.find((d) => d.id === id(e1, 'wh_a'))?.status).toBe('pending');
    const byStatus = async (status: 'failed' | 'pending' | 'success') =>
      (await listDeliveries(ports, caller, { status }, NOW)).items.map((d) => d.id);
    expect(await byStatus('failed')).toEqual([id(failed, 'wh_a')]);
    expect(await byStatus('pending')).toEqual(expect.not.arrayContaining([id(failed, 'wh_a')]));
    expect(await byStatus('pending')).toHaveLength(2);
    expect(await byStatus('success')).toEqual([id(failed, 'wh_b')]);
  });

  it('lists a webhook’s deliveries newest first: attempted ones from their rows, the rest from their events', async () => {
    const ports = setup(
      [e1, e2, e3],
      [...rowsFor(e1, 'wh_a', ['pending', 'success']), ...rowsFor(e3, 'wh_a', ['failed'])],
    );
    const { items, nextCursor } = await listDeliveries(ports, caller, { webhook_id: 'wh_a' }, NOW);
    expect(nextCursor).toBeNull();
    expect(items.map((d) => [d.id, d.status, d.attempts])).toEqual([
      [id(e3, 'wh_a'), 'failed', 1],
      [id(e2, 'wh_a'), 'pending', 0],
      [id(e1, 'wh_a'), 'success', 2],
    ]);
    expect(items[1]).toEqual({
      id: id(e2, 'wh_a'),
      webhook_id: 'wh_a',
      event_type: 'lookup.completed',
      payload: JSON.parse(e2.body),
      status: 'pending',
      attempts: 0,
      response_status: null,
      response_body: null,
      last_attempt_at: null,
      next_attempt_at: e2.received_at,
      error: null,
      created_at: e2.received_at,
    });
    expect(items[2]).toMatchObject({
      response_status: 200,
      response_body: 'answer 2',
      payload: JSON.parse(e1.body),
    });
  });

  it('lists the whole workspace without webhook_id, and filters by status and event type', async () => {
    const ports = setup([e1, e2, e3], rowsFor(e1, 'wh_b', ['success']));
    const all = await listDeliveries(ports, caller, {}, NOW);
    expect(all.items.map((d) => d.id)).toEqual(
      [id(e3, 'wh_a'), id(e3, 'wh_c'), id(e2, 'wh_a'), id(e1, 'wh_a'), id(e1, 'wh_b')].sort().reverse(),
    );
    const success = await listDeliveries(ports, caller, { status: 'success' }, NOW);
    expect(success.items.map((d) => d.id)).toEqual([id(e1, 'wh_b')]);
    expect(ports.events.faults.count('page')).toBe(1); // a status other than pending never reads events
    const lows = await listDeliveries(ports, caller, { event_type: 'credits.low' }, NOW);
    expect(lows.items.map((d) => d.id).sort()).toEqual([id(e3, 'wh_a'), id(e3, 'wh_c')].sort());
  });

  it('leaves out deliveries of webhooks that are gone', async () => {
    const ports = setup([event(1, ['wh_gone'])], []);
    expect((await listDeliveries(ports, caller, {}, NOW)).items).toEqual([]);
  });

  it('shows a test delivery’s inline body', async () => {
    const state = newDeliveryState({
      deliveryId: newDeliveryId(T0, WORKSPACE, 'wh_a'),
      workspaceId: WORKSPACE,
      webhookId: 'wh_a',
      eventType: 'test',
      body: '{"event":"test","data":{},"created_at":"x"}',
      createdAt: new Date(T0).toISOString(),
    });
    const row = attemptRow(state, response(204), { status: 'success' }, { startedMs: T0, durationMs: 3 });
    const ports = setup([], [row]);
    const { items } = await listDeliveries(ports, caller, { webhook_id: 'wh_a' }, NOW);
    expect(items).toEqual([
      expect.objectContaining({ event_type: 'test', payload: { event: 'test', data: {}, created_at: 'x' } }),
    ]);
  });

  it('pages through every delivery exactly once, in order, whatever the page size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            targets: fc.subarray(WEBHOOKS),
            attempted: fc.array(fc.constantFrom('pending', 'success', 'failed'), { maxLength: 3 }),
            type: fc.constantFrom('lookup.completed', 'credits.low'),
          }),
          { maxLength: 25 },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.constantFrom(...WEBHOOKS), { nil: undefined }),
        fc.option(fc.constantFrom('pending', 'success', 'failed'), { nil: undefined }),
        // Tiny read budgets too: a page cut short by its budget must lose and repeat nothing.
        fc.option(
          fc.record({ maxRead: fc.integer({ min: 1, max: 12 }), storePage: fc.integer({ min: 1, max: 4 }) }),
          {
            nil: undefined,
          },
        ),
        async (spec, limit, webhookId, status, limits) => {
          const events = spec.map((s, n) => event(n, s.targets, s.type));
          const rows = events.flatMap((e, n) =>
            (spec[n]?.targets ?? []).flatMap((w, i) =>
              i === 0 ? rowsFor(e, w, spec[n]?.attempted as never) : [],
            ),
          );
          const ports = setup(events, rows);
          const expected = events
            .flatMap((e, n) =>
              (spec[n]?.targets ?? []).map((w, i) => {
                const attempted = i === 0 ? (spec[n]?.attempted ?? []) : [];
                return { id: id(e, w), webhook: w, status: attempted.at(-1) ?? 'pending' };
              }),
            )
            .filter((d) => webhookId === undefined || d.webhook === webhookId)
            .filter((d) => status === undefined || d.status === status)
            .map((d) => d.id)
            .sort()
            .reverse();
          expect(await allPages(ports, { webhook_id: webhookId, status }, limit, limits)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stops reading at its budget and hands back a cursor to go on from, losing nothing', async () => {
    const many = Array.from({ length: MAX_READ_PER_LIST + 150 }, (_, n) => event(n, ['wh_b']));
    const ports = setup(many, []);
    const first = await listDeliveries(ports, caller, { webhook_id: 'wh_a' }, NOW);
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const ids = await allPages(ports, { webhook_id: 'wh_b' }, 250);
    expect(ids).toHaveLength(many.length);
    expect(new Set(ids).size).toBe(many.length);
  });
});

describe('listAttempts', () => {
  const e = event(1, ['wh_a', 'wh_b']);
  const deliveryId = deliveryIdFor(e.id.slice(2), WORKSPACE, 'wh_a');

  it('lists every attempt, newest first, without the rows that were not attempts', async () => {
    const rows = rowsFor(e, 'wh_a', ['pending', 'pending']);
    const last = rows.at(-1) as DeliveryRow;
    const stopped = stopRow(
      {
        ...newDeliveryState({
          deliveryId,
          workspaceId: WORKSPACE,
          webhookId: 'wh_a',
          eventType: e.event_type,
          createdAt: e.received_at,
        }),
        seq: last.seq,
        attempts: 2,
        runAttempts: 2,
      },
      'webhook paused',
    );
    const ports = setup([e], [...rows, stopped]);
    expect(await listAttempts(ports, caller, deliveryId, NOW)).toEqual([
      {
        attempt: 2,
        started_at: new Date(T0 + 1000 + 60_000).toISOString(),
        duration_ms: 15,
        status_code: 500,
        response_body: 'answer 2',
        error: null,
        next_attempt_at: new Date(T0 + 1000 + 60_000 + 15 + 60_000).toISOString(),
        request_headers: null,
      },
      expect.objectContaining({ attempt: 1, status_code: 500, response_body: 'answer 1' }),
    ]);
  });

  it('shows the request headers an attempt sent, signatures included and custom values redacted', () => {
    const [row] = rowsFor(e, 'wh_a', ['success']);
    const signed = {
      ...(row as DeliveryRow),
      signature: 'ab12',
      webhook_signature: 'v1,c2ln',
      webhook_timestamp: 1_700_000_000,
    };
    expect(requestHeadersOf(signed, deliveryId, ['Authorization'])).toEqual({
      Authorization: '***',
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-Encrata-Signature': 'ab12',
      'X-Encrata-Event': e.event_type,
      'X-Encrata-Delivery': deliveryId,
      'webhook-id': deliveryId,
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,c2ln',
    });
    expect(requestHeadersOf(row as DeliveryRow, deliveryId, [])).toBeNull();
  });

  it('answers an empty list for a delivery not attempted yet', async () => {
    expect(await listAttempts(setup([e], []), caller, deliveryId, NOW)).toEqual([]);
  });

  it('is a 404 for an unknown delivery, and for another workspace’s', async () => {
    const ports = setup([e], rowsFor(e, 'wh_a', ['success']));
    await expect(
      listAttempts(ports, caller, deliveryIdFor(e.id.slice(2), WORKSPACE, 'wh_c'), NOW),
    ).rejects.toThrow(NotFoundError);
    await expect(
      listAttempts(ports, { workspaceId: 'ws_other', keyId: 'k' }, deliveryId, NOW),
    ).rejects.toThrow(NotFoundError);
    await expect(listAttempts(ports, caller, 'dlv_nonsense', NOW)).rejects.toThrow(NotFoundError);
  });
});
