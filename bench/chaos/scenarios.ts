/**
 * The chaos scenarios: each runs against its own local stack (a child process with its own data
 * directory and ports) and a real HTTPS receiver on 127.0.0.1, publishes events through the real
 * events queue, breaks something, waits (bounded) until every (webhook, event) pair is final, and
 * accounts for each pair from the receiver, the delivery log and what is left in the queues.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqsClient } from '../../functions/adapters/sqs/client.ts';
import { createEventPublisher } from '../../functions/publisher.ts';
import { ensureReceiverCertificate } from '../../local/certificates.ts';
import { seededRandom } from '../../local/faults.ts';
import { addPair, emptyTally, isSettled, type PairEvidence, percentile, type Tally } from './accounting.ts';
import { type ApiStats, allDeliveries, chaosApi, type DeliveryRow, webhookRowSchema } from './api.ts';
import { peekQueues, type QueueSnapshot, readQueues } from './queues.ts';
import { type Behaviour, ChaosReceiver, eventKeyOf } from './receiver.ts';
import { type ChaosStack, type FaultTotals, startChaosStack } from './stack.ts';

export interface ScenarioSpec {
  name: string;
  title: string;
  env: Record<string, string>;
  webhooks: { behaviour: Behaviour; count: number }[];
  events: number;
  /** SIGKILLs of the stack during fan-out/dispatch, each followed by a restart. */
  kills: number;
  /** How long to wait, after the last publish or restart, for every pair to be final. */
  settleMs: number;
}

export interface BehaviourResult extends Tally {
  behaviour: Behaviour;
  /** Publish → first 2xx at the receiver, for pairs the receiver answered (ms). */
  latencyP50Ms: number | undefined;
  latencyMaxMs: number | undefined;
}

export interface ScenarioResult {
  name: string;
  title: string;
  published: number;
  publishErrors: number;
  /** Webhooks of the scenario that exist (listed after setup): each should get every event. */
  webhooks: number;
  webhooksAcknowledged: number;
  /** Webhooks that exist although their create was not answered 201 (a create that failed left one). */
  ghostWebhooks: number;
  rows: BehaviourResult[];
  total: Tally;
  /**
   * Per kill: pairs not final at the restart, and ms from the restart's READY to the first 2xx
   * delivery after it (undefined: none within the bound, or nothing left to deliver).
   */
  kills: { pending: number; resumeMs: number | undefined }[];
  settledInMs: number;
  allSettled: boolean;
  gracefulStop: boolean;
  api: ApiStats;
  faults: FaultTotals | undefined;
  queueCounts: Record<string, number>;
  dataDir: string;
}

/** Contract §3: a webhook change applies to events published from 2 s after its response on. */
const CHANGE_PROPAGATION_MS = 2100;
const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const behaviourOf = (url: string) => new URL(url).pathname.split('/')[1] as Behaviour;
const SUCCEEDS: ReadonlySet<Behaviour> = new Set(['ok']);

interface Webhook {
  id: string;
  url: string;
  behaviour: Behaviour;
}

async function publishAll(
  stack: ChaosStack,
  keys: string[],
  publishedAt: Map<string, number>,
): Promise<number> {
  const sqs = createSqsClient(stack.info.sqs_endpoint);
  const publisher = createEventPublisher({ queueUrl: stack.info.events_queue_url, sqs });
  let errors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      const key = keys[i] as string;
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          publishedAt.set(key, Date.now());
          // The key is also the idempotency id: a repeated publish produces no second delivery.
          await publisher.publishEvent({
            workspaceId: stack.info.workspace_id,
            event: 'lookup.completed',
            id: key,
            data: { email: `${key}@chaos.example`, lookup_id: key },
          });
          break;
        } catch (error) {
          if (attempt === 3) {
            if (errors === 0) console.error(`publish failed: ${(error as Error).message}`);
            errors++;
            publishedAt.delete(key);
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  sqs.destroy();
  return errors;
}

/** The best status the log has for each pair, and every delivery id it used for it. */
function indexRows(rows: DeliveryRow[]): Map<string, { status: DeliveryRow['status']; ids: Set<string> }> {
  const rank = { success: 3, failed: 2, pending: 1 } as const;
  const index = new Map<string, { status: DeliveryRow['status']; ids: Set<string> }>();
  for (const row of rows) {
    if (row.event_type !== 'lookup.completed') continue;
    const key = eventKeyOf(JSON.stringify(row.payload));
    if (!key) continue;
    const id = `${row.webhook_id} ${key}`;
    const entry = index.get(id) ?? { status: row.status, ids: new Set<string>() };
    if (rank[row.status] > rank[entry.status]) entry.status = row.status;
    entry.ids.add(row.id);
    index.set(id, entry);
  }
  return index;
}

export async function runScenario(
  spec: ScenarioSpec,
  options: { seed: number; log: (line: string) => void },
): Promise<ScenarioResult> {
  // The SDK wants a region and credentials even for the emulators; real ones are never needed here.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const random = seededRandom(options.seed);
  const dataDir = mkdtempSync(join(tmpdir(), `encrata-chaos-${spec.name}-`));
  // Made before the stack starts, so the stack trusts it (local/stack.ts).
  const receiver = await new ChaosReceiver(await ensureReceiverCertificate(dataDir)).start();
  const apiStats: ApiStats = { serverErrors: 0, throttled: 0 };
  let stack = await startChaosStack(dataDir, spec.env);
  const restart = async () => {
    stack = await startChaosStack(dataDir, spec.env);
    return stack;
  };
  try {
    let api = chaosApi(stack.info, apiStats);
    let acknowledged = 0;
    for (const { behaviour, count } of spec.webhooks) {
      for (let i = 0; i < count; i++) {
        const res = await api.call('POST', '/api/webhooks', {
          url: receiver.url(behaviour, `${spec.name}-${i}`),
          events: ['lookup.completed'],
          description: `chaos ${spec.name} ${behaviour} ${i}`,
        });
        if (res.status === 201) acknowledged++;
      }
    }
    const listed = await api.call('GET', '/api/webhooks');
    const webhooks: Webhook[] = webhookRowSchema
      .array()
      .parse(listed.json)
      .filter((w) => w.description.startsWith(`chaos ${spec.name} `))
      .map((w) => ({ id: w.id, url: w.url, behaviour: behaviourOf(w.url) }));
    await sleep(CHANGE_PROPAGATION_MS);

    const keys = Array.from({ length: spec.events }, (_, n) => `${spec.name}-e${n}`);
    const publishedAt = new Map<string, number>();
    const publishErrors = await publishAll(stack, keys, publishedAt);
    const published = [...publishedAt.keys()];
    options.log(`${spec.name}: ${webhooks.length} webhooks, ${published.length} events published`);

    const pairs = webhooks.flatMap((webhook) => published.map((key) => ({ webhook, key })));
    const evidence = (rows: ReturnType<typeof indexRows>, pair: { webhook: Webhook; key: string }) => {
      const receipt = receiver.get(pair.webhook.url, pair.key);
      const row = rows.get(`${pair.webhook.id} ${pair.key}`);
      return { receipt, row };
    };
    const deadLettered = (
      queues: QueueSnapshot | undefined,
      pair: { webhook: Webhook; key: string },
      ids: Iterable<string>,
    ) =>
      queues !== undefined &&
      (queues.eventsDeadLettered.has(pair.key) ||
        queues.deliveriesDeadLettered.has(`${pair.webhook.id} ${pair.key}`) ||
        [...ids].some((id) => queues.deliveriesDeadLettered.has(`${pair.webhook.id} ${id}`)));
    /** Pairs with work still to come; a dead-lettered one is final too (until someone redrives it). */
    const unsettled = (rows: ReturnType<typeof indexRows>, queues?: QueueSnapshot) =>
      pairs.filter((pair) => {
        const { receipt, row } = evidence(rows, pair);
        const settled = isSettled(
          { rowStatus: row?.status, okAnswers: receipt?.ok ?? 0 },
          SUCCEEDS.has(pair.webhook.behaviour),
        );
        return !settled && !deadLettered(queues, pair, row?.ids ?? []);
      }).length;

    const kills: ScenarioResult['kills'] = [];
    for (let k = 0; k < spec.kills; k++) {
      // A random moment while fan-out and dispatch are busy.
      await sleep(50 + Math.floor(random() * 750));
      await stack.kill();
      const before = unsettled(indexRows(await allDeliveriesAfterRestart()));
      options.log(`${spec.name}: SIGKILL ${k + 1}/${spec.kills}, restarted; ${before} pairs not final`);
      const deadline = stack.readyAt + spec.settleMs;
      let resumed: number | undefined;
      while (Date.now() < deadline && before > 0) {
        resumed = receiver.firstOkSince(stack.readyAt);
        if (resumed !== undefined) break;
        await sleep(100);
      }
      kills.push({ pending: before, resumeMs: resumed === undefined ? undefined : resumed - stack.readyAt });
    }
    async function allDeliveriesAfterRestart(): Promise<DeliveryRow[]> {
      await restart();
      api = chaosApi(stack.info, apiStats);
      return allDeliveries(api);
    }

    // After a crash, measured from the last restart: how long until all the work it found was done.
    const settleFrom = spec.kills > 0 ? stack.readyAt : Date.now();
    const deadline = settleFrom + spec.settleMs;
    let allSettled = false;
    for (let poll = 0; Date.now() < deadline; poll++) {
      // The dead-letter queues, read while the stack runs (read-only; SQLite allows it), every 5th poll.
      const queues = poll % 5 === 4 ? peekQueues(dataDir) : undefined;
      if (unsettled(indexRows(await allDeliveries(api)), queues) === 0) {
        allSettled = true;
        break;
      }
      await sleep(POLL_MS);
    }
    const settledInMs = Date.now() - settleFrom;
    const rows = indexRows(await allDeliveries(api));
    const gracefulStop = await stack.stop();
    const queues = readQueues(dataDir);

    const byBehaviour = new Map<Behaviour, { tally: Tally; latencies: number[] }>();
    const order = spec.webhooks.map((w) => w.behaviour);
    const total = emptyTally();
    for (const pair of pairs) {
      const { receipt, row } = evidence(rows, pair);
      const ids = new Set([...(row?.ids ?? []), ...[...(receipt?.deliveryIds ?? [])].filter(Boolean)]);
      const inAny = (set: Set<string>) =>
        set.has(`${pair.webhook.id} ${pair.key}`) ||
        [...ids].some((id) => set.has(`${pair.webhook.id} ${id}`));
      const e: PairEvidence = {
        okAnswers: receipt?.ok ?? 0,
        requests: receipt?.requests ?? 0,
        deliveryIds: ids.size,
        rowStatus: row?.status,
        queued: queues.eventsQueued.has(pair.key) || inAny(queues.deliveriesQueued),
        deadLettered: queues.eventsDeadLettered.has(pair.key) || inAny(queues.deliveriesDeadLettered),
      };
      const entry = byBehaviour.get(pair.webhook.behaviour) ?? { tally: emptyTally(), latencies: [] };
      byBehaviour.set(pair.webhook.behaviour, entry);
      const state = addPair(entry.tally, e);
      addPair(total, e);
      if (state === 'lost')
        options.log(`${spec.name}: LOST ${pair.webhook.behaviour} ${pair.webhook.id} ${pair.key}`);
      const sentAt = publishedAt.get(pair.key);
      if (state === 'delivered' && receipt?.firstOkAt !== undefined && sentAt !== undefined)
        entry.latencies.push(receipt.firstOkAt - sentAt);
    }
    const result: ScenarioResult = {
      name: spec.name,
      title: spec.title,
      published: published.length,
      publishErrors,
      webhooks: webhooks.length,
      webhooksAcknowledged: acknowledged,
      ghostWebhooks: Math.max(0, webhooks.length - acknowledged),
      rows: [...byBehaviour]
        .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
        .map(([behaviour, { tally, latencies }]) => ({
          behaviour,
          ...tally,
          latencyP50Ms: percentile(latencies, 50),
          latencyMaxMs: percentile(latencies, 100),
        })),
      total,
      kills,
      settledInMs,
      allSettled,
      gracefulStop,
      api: apiStats,
      faults: stack.faults(),
      queueCounts: queues.counts,
      dataDir,
    };
    if (total.lost === 0) rmSync(dataDir, { recursive: true, force: true });
    return result;
  } finally {
    await stack.kill();
    await receiver.stop();
  }
}
