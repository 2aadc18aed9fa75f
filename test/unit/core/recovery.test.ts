import { attemptRow } from '../../../functions/core/attempt.ts';
import {
  type DeliveryState,
  newDeliveryState,
  stateOfRow,
  stopRow,
} from '../../../functions/core/deliveries.ts';
import { listAttempts } from '../../../functions/core/delivery-log.ts';
import { type DispatchPorts, dispatchBatch } from '../../../functions/core/dispatch.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import { deliveryIdFor, eventKeyFor } from '../../../functions/core/ids.ts';
import type {
  DeliveryMessage,
  DeliveryRow,
  EventItem,
  WebhookRecord,
} from '../../../functions/core/records.ts';
import { getRecovery, runRecoveryStep, startRecovery } from '../../../functions/core/recovery.ts';
import { resendDelivery } from '../../../functions/core/resend.ts';
import {
  FakeDeliveryLog,
  FakeDeliveryQueue,
  FakeEventStore,
  FakePublisher,
  FakeQueueControl,
  FakeRateLimiter,
  FakeRecoveryStore,
  FakeSender,
  FakeTaskQueue,
  FakeWebhookStore,
  response,
  SECRET,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const T0 = Date.parse('2024-05-01T12:00:00.000Z');
const NOW = T0 + 3_600_000;
const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };
const WEBHOOK_CREATED = new Date(T0 - 60_000).toISOString();

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

const keyOf = (e: EventItem) => e.id.slice(2);
const deliveryOf = (e: EventItem, webhookId = 'wh_1') => deliveryIdFor(keyOf(e), WORKSPACE, webhookId);

function stateFor(e: EventItem, webhookId = 'wh_1'): DeliveryState {
  return newDeliveryState({
    deliveryId: deliveryOf(e, webhookId),
    workspaceId: WORKSPACE,
    webhookId,
    eventType: e.event_type,
    eventKey: keyOf(e),
    eventId: e.event_id,
    createdAt: e.received_at,
  });
}

/** The rows of `statuses.length` attempts of run 1, the last one with the status given. */
function attemptsFor(
  e: EventItem,
  statuses: ('pending' | 'success' | 'failed')[],
  webhookId = 'wh_1',
): DeliveryRow[] {
  let state = stateFor(e, webhookId);
  const rows: DeliveryRow[] = [];
  statuses.forEach((status, i) => {
    const ok = status === 'success';
    const row = attemptRow(
      state,
      response(ok ? 200 : 500),
      ok
        ? { status: 'success' }
        : status === 'failed'
          ? { status: 'failed' }
          : { status: 'pending', delaySeconds: 5 },
      { startedMs: Date.parse(e.received_at) + 1000 * (i + 1), durationMs: 3, messageId: `m-${e.event_id}` },
    );
    rows.push(row);
    state = stateOfRow(row, state.deliveryId);
  });
  return rows;
}

function setup(
  options: { webhook?: Partial<WebhookRecord>; events?: EventItem[]; rows?: DeliveryRow[] } = {},
) {
  const webhook = webhookRecord({ created_at: WEBHOOK_CREATED, ...options.webhook });
  const events = new FakeEventStore();
  for (const item of options.events ?? []) events.items.set(`${item.workspace_id}/${item.id}`, item);
  const ports = {
    webhooks: new FakeWebhookStore([webhook]),
    events,
    log: new FakeDeliveryLog(options.rows ?? []),
    queue: new FakeDeliveryQueue(),
    recoveries: new FakeRecoveryStore(),
    tasks: new FakeTaskQueue(),
  };
  return { ports, webhook };
}

type Ports = ReturnType<typeof setup>['ports'];

/** Dispatches every queued delivery message (as the dispatcher would receive them), answering `status`. */
async function dispatchQueued(ports: Ports, status = 200, nowMs = NOW + 1000) {
  const dispatch: DispatchPorts = {
    webhooks: ports.webhooks,
    events: ports.events,
    log: ports.log,
    secrets: async () => SECRET,
    sender: new FakeSender(response(status)),
    queue: new FakeQueueControl(),
    rateLimiter: new FakeRateLimiter(),
    publisher: new FakePublisher(),
  };
  const messages = ports.queue.messages.splice(0);
  const results = await dispatchBatch(
    dispatch,
    messages.map((message, i) => ({
      message,
      messageId: `q${i}-${message.delivery_id}`,
      handle: `h${i}`,
      receiveCount: 1,
    })),
    { schedule: [5, 10], now: () => nowMs, random: () => 0.5, maxReceives: 6, autoDisableAfterMs: 1e12 },
  );
  return { results, sender: dispatch.sender as FakeSender };
}

/** Runs the recovery's queued steps until none is left (bounded). */
async function runAllSteps(ports: Ports, stepEvents = 2, nowMs = NOW) {
  const outcomes = [];
  for (let i = 0; i < 50 && ports.tasks.tasks.length > 0; i++) {
    const next = ports.tasks.tasks.shift();
    if (next) outcomes.push(await runRecoveryStep(ports, next.task, { nowMs, stepEvents }));
  }
  expect(ports.tasks.tasks).toEqual([]);
  return outcomes;
}

describe('resendDelivery', () => {
  it('queues a new run of a failed delivery: same id and body, pending again, then its attempts join the history', async () => {
    const e = event(1, ['wh_1']);
    const { ports } = setup({ events: [e], rows: attemptsFor(e, ['pending', 'failed']) });

    const out = await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);

    expect(out).toEqual({ status: 'queued', delivery_id: deliveryOf(e) });
    expect(ports.queue.messages).toEqual([
      expect.objectContaining({
        delivery_id: deliveryOf(e),
        webhook_id: 'wh_1',
        run: 2,
        recheck: true,
        body: e.body,
        queued_at: NOW,
        created_at: e.received_at,
      }),
    ]);
    const [queued] = ports.log.rowsOf('wh_1', deliveryOf(e));
    expect(queued).toMatchObject({
      kind: 'queued',
      seq: 3,
      run: 2,
      run_attempts: 0,
      attempts: 2,
      status: 'pending',
    });
    expect(queued).not.toHaveProperty('error');
    expect(queued).not.toHaveProperty('dead_lettered');

    const { results, sender } = await dispatchQueued(ports);
    expect(results[0]).toMatchObject({ outcome: 'delivered' });
    expect(sender.requests[0]?.body).toBe(e.body);
    expect(sender.requests[0]?.headers['X-Encrata-Delivery']).toBe(deliveryOf(e));
    const attempts = await listAttempts(ports, caller, deliveryOf(e), NOW + 2000);
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([
      [3, 200],
      [2, 500],
      [1, 500],
    ]);
  });

  it('works in any status: a delivered one, and one not yet attempted (whose first message still goes)', async () => {
    const done = event(1, ['wh_1']);
    const fresh = event(2, ['wh_1']);
    const { ports } = setup({ events: [done, fresh], rows: attemptsFor(done, ['success']) });
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(done) }, NOW);
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(fresh) }, NOW);
    expect(ports.queue.messages.map((m) => [m.delivery_id, m.run])).toEqual([
      [deliveryOf(done), 2],
      [deliveryOf(fresh), 2],
    ]);
    // Row 1 stays free for fan-out's first attempt, which writes it without a condition.
    expect(ports.log.rowsOf('wh_1', deliveryOf(fresh))[0]).toMatchObject({ kind: 'queued', seq: 2, run: 2 });

    // Fan-out's first message for `fresh` (run 1) arrives after the resend: it was on its way and
    // goes too (one more POST of the same delivery), and neither run's row overwrites the other's.
    ports.queue.messages.push({
      workspace_id: WORKSPACE,
      webhook_id: 'wh_1',
      delivery_id: deliveryOf(fresh),
      event_type: fresh.event_type,
      event_key: keyOf(fresh),
      event_id: fresh.event_id,
      created_at: fresh.received_at,
      queued_at: NOW - 1000,
      body: fresh.body,
    });
    const { results, sender } = await dispatchQueued(ports);
    expect(results.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(sender.requests).toHaveLength(3);
    expect(ports.log.rowsOf('wh_1', deliveryOf(fresh)).map((r) => [r.seq, r.kind, r.run, r.status])).toEqual([
      [3, 'attempt', 2, 'success'],
      [2, 'queued', 2, 'pending'],
      [1, 'attempt', 1, 'success'],
    ]);
  });

  it('keeps an attempt made between the new run’s message and its row: the attempt goes on top', async () => {
    const e = event(1, ['wh_1']);
    const rows = attemptsFor(e, ['pending', 'failed']);
    const { ports } = setup({ events: [e], rows });
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
    // The dispatcher read the log before the queued row landed (it saw the failed row).
    const latest = ports.log.latest.bind(ports.log);
    let stale = true;
    ports.log.latest = async (webhookId: string, deliveryId: string) => {
      if (stale) {
        stale = false;
        return rows[1] ?? null;
      }
      return latest(webhookId, deliveryId);
    };
    const { results, sender } = await dispatchQueued(ports);
    expect(results[0]).toMatchObject({ outcome: 'delivered', disposition: 'delete' });
    expect(sender.requests).toHaveLength(1);
    expect(ports.log.rowsOf('wh_1', deliveryOf(e)).map((r) => [r.seq, r.kind, r.run, r.status])).toEqual([
      [4, 'attempt', 2, 'success'],
      [3, 'queued', 2, 'pending'],
      [2, 'attempt', 1, 'failed'],
      [1, 'attempt', 1, 'pending'],
    ]);
  });

  it('supersedes the run it replaces: a retry of the old run that comes back stands down', async () => {
    const e = event(1, ['wh_1']);
    const { ports } = setup({ events: [e], rows: attemptsFor(e, ['pending']) });
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
    ports.queue.messages.length = 0;
    ports.queue.messages.push({
      workspace_id: WORKSPACE,
      webhook_id: 'wh_1',
      delivery_id: deliveryOf(e),
      event_type: e.event_type,
      event_key: keyOf(e),
      event_id: e.event_id,
      created_at: e.received_at,
      queued_at: T0,
      body: e.body,
    });
    const dispatch: DispatchPorts = {
      webhooks: ports.webhooks,
      events: ports.events,
      log: ports.log,
      secrets: async () => SECRET,
      sender: new FakeSender(response(200)),
      queue: new FakeQueueControl(),
      rateLimiter: new FakeRateLimiter(),
      publisher: new FakePublisher(),
    };
    const [result] = await dispatchBatch(
      dispatch,
      [
        {
          message: ports.queue.messages[0] as DeliveryMessage,
          messageId: 'm-evt_1',
          handle: 'h',
          receiveCount: 2,
        },
      ],
      {
        schedule: [5, 10],
        now: () => NOW + 10_000,
        random: () => 0.5,
        maxReceives: 6,
        autoDisableAfterMs: 1e12,
      },
    );
    expect(result).toMatchObject({
      outcome: 'skipped',
      reason: 'superseded by a resend',
      disposition: 'delete',
    });
  });

  it('is refused with 409 while the webhook is paused or disabled, and says which', async () => {
    const e = event(1, ['wh_1']);
    for (const [webhook, text] of [
      [{ is_active: false }, /paused/],
      [{ is_active: false, disabled_reason: 'failing' as const }, /disabled/],
    ] as const) {
      const { ports } = setup({ webhook, events: [e], rows: attemptsFor(e, ['failed']) });
      const attempt = resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toThrow(text);
      expect(ports.queue.messages).toEqual([]);
    }
  });

  it('answers 404 for an unknown delivery and for another workspace’s, alike', async () => {
    const e = event(1, ['wh_1']);
    const { ports } = setup({ events: [e], rows: attemptsFor(e, ['failed']) });
    for (const [who, id] of [
      [caller, deliveryOf(event(9, ['wh_1']))],
      [{ workspaceId: 'ws_other', keyId: 'k' }, deliveryOf(e)],
    ] as const) {
      await expect(resendDelivery(ports, who, { delivery_id: id }, NOW)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    }
    expect(ports.queue.messages).toEqual([]);
  });

  it('queues the message before the row: refused by the queue, nothing shows pending', async () => {
    const e = event(1, ['wh_1']);
    const { ports } = setup({ events: [e], rows: attemptsFor(e, ['failed']) });
    ports.queue.refuse = () => true;
    await expect(resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW)).rejects.toThrow(
      /refused/,
    );
    expect(ports.log.rowsOf('wh_1', deliveryOf(e))[0]).toMatchObject({ status: 'failed', seq: 1 });
  });

  it('follows the log when an attempt lands meanwhile, and leaves it alone once the new run has started', async () => {
    const e = event(1, ['wh_1']);
    const rows = attemptsFor(e, ['pending', 'failed']);
    const { ports } = setup({ events: [e], rows: rows.slice(0, 1) });
    // Between the read and the write, the old run's last attempt is recorded.
    const append = ports.log.append.bind(ports.log);
    let raced = false;
    ports.log.append = async (row) => {
      if (!raced && row.kind === 'queued') {
        raced = true;
        await append(rows[1] as DeliveryRow);
      }
      return append(row);
    };
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
    expect(ports.log.rowsOf('wh_1', deliveryOf(e)).map((r) => [r.seq, r.kind, r.run])).toEqual([
      [3, 'queued', 2],
      [2, 'attempt', 1],
      [1, 'attempt', 1],
    ]);

    // The new run's own attempt got there first: the queued row is not written on top of it.
    const { ports: second } = setup({ events: [e], rows });
    const appendSecond = second.log.append.bind(second.log);
    second.log.append = async (row) => {
      if (row.kind === 'queued') {
        const state = stateOfRow(rows[1] as DeliveryRow, deliveryOf(e));
        await appendSecond(
          attemptRow(
            { ...state, run: 2, runAttempts: 0 },
            response(200),
            { status: 'success' },
            {
              startedMs: NOW,
              durationMs: 1,
            },
          ),
        );
      }
      return appendSecond(row);
    };
    await resendDelivery(second, caller, { delivery_id: deliveryOf(e) }, NOW);
    expect(second.log.rowsOf('wh_1', deliveryOf(e))[0]).toMatchObject({
      kind: 'attempt',
      run: 2,
      status: 'success',
    });
  });
});

describe('startRecovery', () => {
  it('records the window and queues the first step', async () => {
    const { ports } = setup();
    const out = await startRecovery(
      ports,
      caller,
      { id: 'wh_1', since: new Date(T0).toISOString(), until: new Date(T0 + 60_000).toISOString() },
      NOW,
    );
    expect(out).toEqual({
      status: 'started',
      recovery_id: expect.stringMatching(/^rcv_[0-9A-Z]{26}$/),
      since: new Date(T0).toISOString(),
      until: new Date(T0 + 60_000).toISOString(),
    });
    expect(ports.tasks.tasks).toEqual([
      {
        task: { task: 'recover', workspace_id: WORKSPACE, recovery_id: out.recovery_id, step: 0 },
        delaySeconds: 0,
      },
    ]);
    expect(await getRecovery(ports, caller, out.recovery_id)).toMatchObject({
      status: 'running',
      queued: 0,
      skipped: 0,
      webhook_id: 'wh_1',
      stopped_reason: null,
    });
  });

  it('moves since up to the webhook’s creation and until down to now', async () => {
    const { ports } = setup();
    const out = await startRecovery(
      ports,
      caller,
      {
        id: 'wh_1',
        since: new Date(T0 - 3_600_000).toISOString(),
        until: new Date(NOW + 3_600_000).toISOString(),
      },
      NOW,
    );
    expect(out).toMatchObject({ since: WEBHOOK_CREATED, until: new Date(NOW).toISOString() });
  });

  it.each([
    [
      'until before since',
      { since: new Date(T0).toISOString(), until: new Date(T0 - 1).toISOString() },
      'until',
    ],
    [
      'until equal to since',
      { since: new Date(T0).toISOString(), until: new Date(T0).toISOString() },
      'until',
    ],
    ['since outside the 30-day retention', { since: new Date(NOW - 31 * 86_400_000).toISOString() }, 'since'],
    ['since in the future', { since: new Date(NOW + 60_000).toISOString() }, 'since'],
  ])('answers 400 with details for %s', async (_name, window, path) => {
    const { ports } = setup();
    const attempt = startRecovery(ports, caller, { id: 'wh_1', ...window }, NOW);
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ details: [expect.objectContaining({ path })] });
    expect(ports.tasks.tasks).toEqual([]);
  });

  it('answers 409 for a paused or disabled webhook and 404 for another workspace’s', async () => {
    const paused = setup({ webhook: { is_active: false } });
    await expect(
      startRecovery(paused.ports, caller, { id: 'wh_1', since: new Date(T0).toISOString() }, NOW),
    ).rejects.toBeInstanceOf(ConflictError);
    const { ports } = setup();
    await expect(
      startRecovery(
        ports,
        { workspaceId: 'ws_other', keyId: 'k' },
        { id: 'wh_1', since: new Date(T0).toISOString() },
        NOW,
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      getRecovery(ports, { workspaceId: 'ws_other', keyId: 'k' }, 'rcv_00000000000000000000000000'),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('does not leave a recovery running when its first step cannot be queued', async () => {
    const { ports } = setup();
    ports.tasks.faults.failNext('send');
    await expect(
      startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0).toISOString() }, NOW),
    ).rejects.toThrow();
    const [record] = [...ports.recoveries.items.values()];
    expect(record).toMatchObject({ status: 'done', stopped: 'could not be started' });
  });
});

describe('runRecoveryStep', () => {
  /**
   * e1 delivered, e2 failed for good, e3 missed (the webhook was paused: not a target), e4 on its
   * way (a target, no attempt yet), e5 stopped by a pause, e6 of a type it does not subscribe to,
   * e0 from before the webhook existed.
   */
  function scenario() {
    const e0 = { ...event(0, []), received_at: new Date(T0 - 120_000).toISOString() };
    const e1 = event(1, ['wh_1']);
    const e2 = event(2, ['wh_1']);
    const e3 = event(3, []);
    const e4 = event(4, ['wh_1']);
    const e5 = event(5, ['wh_1']);
    const e6 = event(6, [], 'credits.low');
    const rows = [
      ...attemptsFor(e1, ['success']),
      ...attemptsFor(e2, ['pending', 'failed']),
      stopRow(stateFor(e5), 'webhook paused', 'm5'),
    ];
    const env = setup({
      events: [e0, e1, e2, e3, e4, e5, e6],
      rows,
      webhook: { paused_at: new Date(T0 + 5500).toISOString() },
    });
    return { ...env, e: { e0, e1, e2, e3, e4, e5, e6 } };
  }

  async function recover(ports: Ports, stepEvents = 2) {
    const { recovery_id } = await startRecovery(
      ports,
      caller,
      { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() },
      NOW,
    );
    await runAllSteps(ports, stepEvents);
    return getRecovery(ports, caller, recovery_id);
  }

  it('resends the failed, delivers the missed, leaves the delivered and the in-flight alone, in bounded steps', async () => {
    const { ports, e } = scenario();
    const status = await recover(ports, 2);

    expect(status).toMatchObject({ status: 'done', queued: 3, skipped: 2, stopped_reason: null });
    expect(
      ports.queue.messages.map((m) => [
        m.delivery_id,
        m.run,
        m.recovery_id === status.recovery_id,
        m.recheck,
      ]),
    ).toEqual([
      [deliveryOf(e.e2), 2, true, true],
      [deliveryOf(e.e3), 1, true, true],
      [deliveryOf(e.e5), 2, true, true],
    ]);
    for (const item of [e.e2, e.e3, e.e5]) {
      expect(ports.log.rowsOf('wh_1', deliveryOf(item))[0]).toMatchObject({
        kind: 'queued',
        status: 'pending',
        recovery_id: status.recovery_id,
      });
    }
    // Seven events (e0 is before `since` was moved up to the webhook's creation): four steps of two.
    expect(ports.events.faults.count('range')).toBe(4);
  });

  it('delivers them through the dispatcher, even those made before the pause that stopped them', async () => {
    const { ports, e } = scenario();
    await recover(ports);
    const { results, sender } = await dispatchQueued(ports);
    expect(results.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(sender.requests.map((r) => r.body)).toEqual([e.e2.body, e.e3.body, e.e5.body]);
  });

  it('finds nothing new the second time over the same window', async () => {
    const { ports } = scenario();
    await recover(ports);
    await dispatchQueued(ports);
    const again = await recover(ports);
    expect(again).toMatchObject({ status: 'done', queued: 0, skipped: 5 });
    expect(ports.queue.messages).toEqual([]);
  });

  it('queues each event once when a step is run again after its function died before committing', async () => {
    const { ports } = scenario();
    const { recovery_id } = await startRecovery(
      ports,
      caller,
      { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() },
      NOW,
    );
    ports.recoveries.faults.failNext('advance', 2);
    const first = ports.tasks.tasks[0]?.task;
    if (!first) throw new Error('no task');
    await expect(runRecoveryStep(ports, first, { nowMs: NOW, stepEvents: 4 })).rejects.toThrow();
    await expect(runRecoveryStep(ports, first, { nowMs: NOW, stepEvents: 4 })).rejects.toThrow();
    const queuedBefore = ports.queue.messages.length;
    expect(queuedBefore).toBe(2);
    await runAllSteps(ports, 4);
    expect(ports.queue.messages).toHaveLength(3);
    expect(await getRecovery(ports, caller, recovery_id)).toMatchObject({
      status: 'done',
      queued: 3,
      skipped: 2,
    });
  });

  it('makes sure the next step is queued when a copy of a committed step comes back, and otherwise does nothing', async () => {
    const { ports } = scenario();
    const { recovery_id } = await startRecovery(
      ports,
      caller,
      { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() },
      NOW,
    );
    const step0 = ports.tasks.tasks.shift()?.task;
    if (!step0) throw new Error('no task');
    expect(await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 2 })).toMatchObject({
      kind: 'continued',
    });
    // The continuation was lost (the function died after committing): step 0 comes back.
    ports.tasks.tasks.length = 0;
    const sent = ports.queue.messages.length;
    expect(await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 2 })).toMatchObject({
      kind: 'stale',
    });
    expect(ports.queue.messages).toHaveLength(sent);
    expect(ports.tasks.tasks.map((t) => t.task.step)).toEqual([1]);
    // An older copy still does nothing at all.
    const step1 = ports.tasks.tasks.shift()?.task;
    if (!step1) throw new Error('no task');
    await runRecoveryStep(ports, step1, { nowMs: NOW, stepEvents: 2 });
    ports.tasks.tasks.length = 0;
    expect(await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 2 })).toMatchObject({
      kind: 'stale',
    });
    expect(ports.tasks.tasks).toEqual([]);
    expect((await getRecovery(ports, caller, recovery_id)).status).toBe('running');
  });

  it('stops when the webhook is paused or deleted meanwhile, and says why', async () => {
    const { ports } = scenario();
    const { recovery_id } = await startRecovery(
      ports,
      caller,
      { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() },
      NOW,
    );
    const webhook = ports.webhooks.items.get(`${WORKSPACE}/wh_1`) as WebhookRecord;
    ports.webhooks.items.set(`${WORKSPACE}/wh_1`, { ...webhook, is_active: false });
    await runAllSteps(ports);
    expect(await getRecovery(ports, caller, recovery_id)).toMatchObject({
      status: 'done',
      stopped_reason: 'webhook paused',
      queued: 0,
    });
    expect(ports.queue.messages).toEqual([]);
  });

  it('spaces its steps by the endpoint’s rate limit', async () => {
    const { ports } = scenario();
    const webhook = ports.webhooks.items.get(`${WORKSPACE}/wh_1`) as WebhookRecord;
    ports.webhooks.items.set(`${WORKSPACE}/wh_1`, { ...webhook, rate_limit: 1 });
    await startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() }, NOW);
    const step0 = ports.tasks.tasks.shift()?.task;
    if (!step0) throw new Error('no task');
    // Events e1..e4: e2 and e3 queued, so the next step waits two seconds at 1/s.
    await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 4 });
    expect(ports.tasks.tasks.map((t) => t.delaySeconds)).toEqual([2]);
  });

  it('never sends a webhook.disabled event to the webhook it is about', async () => {
    const about = {
      ...event(1, [], 'webhook.disabled'),
      body: JSON.stringify({
        event: 'webhook.disabled',
        data: { webhook_id: 'wh_1' },
        created_at: new Date(T0).toISOString(),
      }),
    };
    const other = {
      ...event(2, [], 'webhook.disabled'),
      body: JSON.stringify({
        event: 'webhook.disabled',
        data: { webhook_id: 'wh_2' },
        created_at: new Date(T0).toISOString(),
      }),
    };
    const { ports } = setup({ events: [about, other], webhook: { events: ['webhook.disabled'] } });
    await startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() }, NOW);
    await runAllSteps(ports);
    expect(ports.queue.messages.map((m: DeliveryMessage) => m.event_id)).toEqual(['evt_2']);
  });
});

describe('recovery and resend at their edges', () => {
  const DAY = 86_400_000;

  it('takes a since exactly 30 days back and refuses one millisecond more, with the exact details', async () => {
    const { ports } = setup({ webhook: { created_at: new Date(NOW - 40 * DAY).toISOString() } });
    await expect(
      startRecovery(ports, caller, { id: 'wh_1', since: new Date(NOW - 30 * DAY).toISOString() }, NOW),
    ).resolves.toMatchObject({ status: 'started' });
    await expect(
      startRecovery(ports, caller, { id: 'wh_1', since: new Date(NOW - 30 * DAY - 1).toISOString() }, NOW),
    ).rejects.toMatchObject({
      message: 'Invalid recovery window',
      details: [{ path: 'since', message: 'must be within the last 30 days (events are kept that long)' }],
    });
    await expect(
      startRecovery(ports, caller, { id: 'wh_1', since: new Date(NOW + 1).toISOString() }, NOW),
    ).rejects.toMatchObject({ details: [{ path: 'since', message: 'must not be in the future' }] });
    await expect(
      startRecovery(
        ports,
        caller,
        { id: 'wh_1', since: new Date(NOW - DAY).toISOString(), until: new Date(NOW - DAY).toISOString() },
        NOW,
      ),
    ).rejects.toMatchObject({ details: [{ path: 'until', message: 'must be after since' }] });
  });

  it('is done at once, queueing no step, when the window is empty (since = now)', async () => {
    const { ports } = setup();
    const out = await startRecovery(ports, caller, { id: 'wh_1', since: new Date(NOW).toISOString() }, NOW);
    expect(ports.tasks.tasks).toEqual([]);
    expect(await getRecovery(ports, caller, out.recovery_id)).toMatchObject({ status: 'done', queued: 0 });
    await expect(getRecovery(ports, caller, 'rcv_00000000000000000000000000')).rejects.toThrow(
      new NotFoundError('Recovery not found'),
    );
  });

  it('says why a task has nothing to do', async () => {
    const { ports } = setup();
    const task = { task: 'recover' as const, workspace_id: WORKSPACE, recovery_id: 'rcv_missing', step: 0 };
    expect(await runRecoveryStep(ports, task, { nowMs: NOW })).toEqual({
      kind: 'stale',
      reason: 'no such recovery',
    });
    const out = await startRecovery(ports, caller, { id: 'wh_1', since: new Date(NOW).toISOString() }, NOW);
    expect(await runRecoveryStep(ports, { ...task, recovery_id: out.recovery_id }, { nowMs: NOW })).toEqual({
      kind: 'stale',
      reason: 'recovery finished',
    });
  });

  it('stops for a deleted or disabled webhook, saying which, and commits the step', async () => {
    for (const [change, reason] of [
      [(p: Ports) => p.webhooks.items.clear(), 'webhook deleted'],
      [
        (p: Ports) => {
          const w = p.webhooks.items.get(`${WORKSPACE}/wh_1`) as WebhookRecord;
          p.webhooks.items.set(`${WORKSPACE}/wh_1`, { ...w, is_active: false, disabled_reason: 'failing' });
        },
        'webhook disabled: failing',
      ],
    ] as const) {
      const { ports } = setup({ events: [event(1, [])] });
      const { recovery_id } = await startRecovery(
        ports,
        caller,
        { id: 'wh_1', since: new Date(T0).toISOString() },
        NOW,
      );
      change(ports);
      await runAllSteps(ports);
      const record = [...ports.recoveries.items.values()][0];
      expect(record).toMatchObject({ status: 'done', stopped: reason, step: 1 });
      expect((await getRecovery(ports, caller, recovery_id)).stopped_reason).toBe(reason);
    }
  });

  it('reports a step another run committed first as stale, queueing no next step', async () => {
    const { ports } = setup({ events: [event(1, []), event(2, []), event(3, [])] });
    await startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0).toISOString() }, NOW);
    const step0 = ports.tasks.tasks.shift()?.task;
    if (!step0) throw new Error('no task');
    ports.recoveries.advance = async () => false;
    expect(await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 2 })).toEqual({
      kind: 'stale',
      reason: 'another run committed this step',
    });
    expect(ports.tasks.tasks).toEqual([]);
  });

  it('counts events from the webhook’s creation on, and leaves out an unreadable webhook.disabled body', async () => {
    const atCreation = { ...event(1, []), received_at: WEBHOOK_CREATED };
    const before = { ...event(2, []), received_at: new Date(Date.parse(WEBHOOK_CREATED) - 1).toISOString() };
    const garbled = { ...event(3, [], 'webhook.disabled'), body: 'not json' };
    const { ports } = setup({
      events: [atCreation, before, garbled],
      webhook: { events: ['lookup.completed', 'webhook.disabled'] },
    });
    await startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0 - 600_000).toISOString() }, NOW);
    await runAllSteps(ports);
    expect(ports.queue.messages.map((m) => m.event_id)).toEqual(['evt_1']);
  });

  it('spaces steps by queued / rate_limit seconds', async () => {
    const { ports } = setup({ events: [1, 2, 3, 4].map((n) => event(n, [])), webhook: { rate_limit: 2 } });
    await startRecovery(ports, caller, { id: 'wh_1', since: new Date(T0).toISOString() }, NOW);
    const step0 = ports.tasks.tasks.shift()?.task;
    if (!step0) throw new Error('no task');
    await runRecoveryStep(ports, step0, { nowMs: NOW, stepEvents: 3 });
    expect(ports.tasks.tasks.map((t) => [t.task.step, t.delaySeconds])).toEqual([[1, 2]]);
  });

  it('inlines a body of up to 4 KiB in the new run’s message and leaves a larger one to the event store', async () => {
    for (const [size, inline] of [
      [4096, true],
      [4097, false],
    ] as const) {
      const base = event(1, ['wh_1']);
      const prefix = '{"event":"lookup.completed","data":{"p":"';
      const suffix = '"},"created_at":"x"}';
      const body = `${prefix}${'x'.repeat(size - prefix.length - suffix.length)}${suffix}`;
      const e = { ...base, body };
      const { ports } = setup({ events: [e], rows: attemptsFor(e, ['failed']) });
      await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
      expect(ports.queue.messages[0]?.body === body).toBe(inline);
      expect(ports.queue.messages[0]).toMatchObject({ event_key: keyOf(e), event_id: e.event_id });
    }
  });

  it('tries the new run’s row three times while the old run keeps writing, then leaves it to the message', async () => {
    const e = event(1, ['wh_1']);
    const rows = attemptsFor(e, ['pending']);
    const { ports } = setup({ events: [e], rows });
    let tries = 0;
    ports.log.append = async () => {
      tries++;
      return false;
    };
    await resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW);
    expect(tries).toBe(3);
    expect(ports.queue.messages).toHaveLength(1);
  });

  it('refuses a resend whose event is no longer kept', async () => {
    const e = event(1, ['wh_1']);
    // Rows without an inline body, and the event gone: nothing to send.
    const { ports } = setup({ events: [], rows: attemptsFor(e, ['failed']) });
    await expect(resendDelivery(ports, caller, { delivery_id: deliveryOf(e) }, NOW)).rejects.toThrow(
      new ConflictError('The event of this delivery is no longer kept (retention); it cannot be resent'),
    );
    expect(ports.queue.messages).toEqual([]);
  });
});
