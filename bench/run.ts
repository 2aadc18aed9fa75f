/**
 * `npm run bench`: one run on this machine, figures as ratios against a baseline in the same run.
 *
 * 1. Dispatcher throughput and CPU per delivery, next to a bare loop that signs and POSTs the same
 *    bodies with the same HTTP client (same concurrency of 10): the ratio is our overhead.
 * 2. Publish → receipt latency p50/p99 through the local pipeline (events queue → fan-out →
 *    deliveries queue → dispatcher → receiver) at a steady publish rate.
 * 3. AWS requests per delivery, counted at the SDK (DynamoDB capacity units as the emulator reports
 *    them, SQS calls including the event source mapping's), and the cost per 1M deliveries at
 *    us-east-1 list prices.
 * 4. Bundle size of each function, built as the CDK stack builds it.
 *
 * The emulators and the receiver run in child processes, so this process's CPU is the handlers'.
 * Options: BENCH_DELIVERIES (default 1000), BENCH_RATE (events/s, default 20), BENCH_SECONDS (default 10).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { FUNCTION_TIMEOUTS } from '../functions/resources.ts';
import { ROUTES } from '../functions/routes.ts';
import { functionEnvironment } from '../local/function-environment.ts';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WEBHOOKS = 10;

function child(
  script: string,
  env: Record<string, string> = {},
): { process: ChildProcess; lines: AsyncIterableIterator<string> } {
  const proc = spawn(process.execPath, [script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  return { process: proc, lines };
}

async function firstJson<T>(lines: AsyncIterableIterator<string>): Promise<T> {
  const next = await lines.next();
  if (next.done) throw new Error('child exited before it was ready');
  return JSON.parse(next.value) as T;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// --- children: emulators and receiver -------------------------------------------------------
const emulators = child('test/support/emulators-process.ts', { RETRIES: '2' });
const receiverProc = child('bench/receiver-process.ts');
const [info, receiver] = await Promise.all([
  firstJson<{
    dynamodbEndpoint: string;
    sqsEndpoint: string;
    tables: Record<string, string>;
    queues: Record<string, { url: string; arn: string; dlqUrl: string }>;
  }>(emulators.lines),
  firstJson<{ port: number; caFile: string }>(receiverProc.lines),
]);
const receipts: { at: number; createdAt: string }[] = [];
void (async () => {
  for await (const line of receiverProc.lines) {
    const [at, createdAt] = line.split(' ');
    receipts.push({ at: Number(at), createdAt: createdAt ?? '-' });
  }
})();

const queue = (name: string) => info.queues[name] ?? { url: '', arn: '', dlqUrl: '' };
Object.assign(
  process.env,
  functionEnvironment(info, {
    secretKeyHex: randomBytes(32).toString('hex'),
    retrySchedule: [1, 1],
    allowPrivateTargets: true,
    logLevel: 'SILENT',
    extraCaFile: receiver.caFile,
  }),
);

// Imported after the environment is set, as Lambda would load them.
const { dependencies } = await import('../functions/shared/wiring.ts');
const { handler: fanout } = await import('../functions/fanout/handler.ts');
const { handler: dispatcher } = await import('../functions/dispatcher/handler.ts');
const { createWebhook } = await import('../functions/core/webhook-service.ts');
const { buildDeliveryHeaders } = await import('../functions/core/signing.ts');
const { HttpsSender } = await import('../functions/adapters/http/sender.ts');
const { createEventPublisher } = await import('../functions/publisher.ts');
const { toSqsEvent, SqsEventSource } = await import('../local/event-source.ts');
const { lambdaContext } = await import('../local/lambda-context.ts');
const { createSqsClient } = await import('../functions/adapters/sqs/client.ts');

// --- counting AWS requests at the SDK ----------------------------------------------------------
interface Counts {
  dynamoReads: number;
  dynamoWrites: number;
  readUnits: number;
  writeUnits: number;
  sqs: Record<string, number>;
}
const counts: Counts = { dynamoReads: 0, dynamoWrites: 0, readUnits: 0, writeUnits: 0, sqs: {} };
const READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);
type Stack = { add: (mw: unknown, options: { step: string; name: string; priority?: string }) => void };
function countDynamo(client: { middlewareStack: Stack }) {
  client.middlewareStack.add(
    (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        args.input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const consumed = (
          [] as { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }[]
        ).concat((result.output.ConsumedCapacity as never) ?? []);
        const units = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        if (READS.has(context.commandName)) {
          counts.dynamoReads++;
          counts.readUnits += units;
        } else {
          counts.dynamoWrites++;
          counts.writeUnits += units;
        }
        return result;
      },
    { step: 'initialize', priority: 'high', name: 'benchCount' },
  );
}
function countSqs(client: { middlewareStack: Stack }, onlyWithMessages = false) {
  client.middlewareStack.add(
    (
      next: (args: unknown) => Promise<{ output: { Messages?: unknown[] } }>,
      context: { commandName: string },
    ) =>
      async (args: unknown) => {
        const result = await next(args);
        const empty = context.commandName === 'ReceiveMessageCommand' && !result.output.Messages?.length;
        if (!(onlyWithMessages && empty))
          counts.sqs[context.commandName] = (counts.sqs[context.commandName] ?? 0) + 1;
        return result;
      },
    { step: 'initialize', name: 'benchCount' },
  );
}
const deps = dependencies();
countDynamo(deps.db.config ? (deps.db as unknown as { middlewareStack: Stack }) : (deps.db as never));
countSqs(deps.sqs as unknown as { middlewareStack: Stack });
const resetCounts = () => {
  counts.dynamoReads = counts.dynamoWrites = counts.readUnits = counts.writeUnits = 0;
  counts.sqs = {};
};

// --- set-up: one workspace, ten webhooks pointing at the receiver ------------------------------
const caller = { workspaceId: 'ws_bench', keyId: 'bench' };
const policy = { maxPerWorkspace: 50, allowPrivateTargets: true };
for (let i = 0; i < WEBHOOKS; i++) {
  await createWebhook(
    deps,
    caller,
    { url: `https://127.0.0.1:${receiver.port}/hook/${i}`, events: ['lookup.completed'], description: null },
    policy,
    new Date(),
  );
}
const context = lambdaContext('bench', FUNCTION_TIMEOUTS.dispatcher);
const eventMessage = (i: number) =>
  JSON.stringify({
    id: `evt_bench_${i}_${Date.now()}`,
    workspace_id: caller.workspaceId,
    event: 'lookup.completed',
    data: { email: `user${i}@example.com`, lookup_id: `lu_${i}`, source: 'bench', score: 0.93 },
  });

/** Fans out `events` events (10 deliveries each) and returns the delivery messages, received. */
async function prepareDeliveries(events: number): Promise<SQSEvent[]> {
  for (let i = 0; i < events; i += 10) {
    const batch = Array.from({ length: Math.min(10, events - i) }, (_, j) => ({
      MessageId: `m${i + j}-${Date.now()}`,
      ReceiptHandle: 'r',
      Body: eventMessage(i + j),
    }));
    await fanout(toSqsEvent(batch, queue('events').arn), context);
  }
  const batches: SQSEvent[] = [];
  for (let got = 0; got < events * WEBHOOKS; ) {
    const res = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue('deliveries').url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
      }),
    );
    const messages = res.Messages ?? [];
    if (!messages.length) break;
    got += messages.length;
    batches.push(toSqsEvent(messages, queue('deliveries').arn));
  }
  return batches;
}

async function timeDispatcher(batches: SQSEvent[]) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  for (const batch of batches) {
    const result = await dispatcher(batch, context);
    if (result?.batchItemFailures.length) throw new Error('a delivery failed during the benchmark');
    n += batch.Records.length;
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { n, perSecond: (n / ms) * 1000, cpuMsPer: (used.user + used.system) / 1000 / n };
}

/** The baseline: the same bodies, signed and POSTed by the same client, ten at a time, nothing else. */
async function timeBareLoop(n: number) {
  const sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: receiver.caFile });
  const secret = `whsec_${randomBytes(32).toString('hex')}`;
  const bodies = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      event: 'lookup.completed',
      data: JSON.parse(eventMessage(i)).data,
      created_at: new Date().toISOString(),
    }),
  );
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i += 10) {
    await Promise.all(
      bodies.slice(i, i + 10).map(async (body, j) => {
        const headers = buildDeliveryHeaders({
          secret,
          deliveryId: `dlv_${i + j}`,
          eventType: 'lookup.completed',
          body,
          timestampSeconds: Math.floor(Date.now() / 1000),
        });
        const outcome = await sender.send({
          url: `https://127.0.0.1:${receiver.port}/hook/${j}`,
          headers,
          body,
        });
        if (outcome.kind !== 'response' || outcome.status !== 200) throw new Error('bare loop send failed');
      }),
    );
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  sender.close();
  return { n, perSecond: (n / ms) * 1000, cpuMsPer: (used.user + used.system) / 1000 / n };
}

const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  console.log(line);
};
say(`encrata-webhooks benchmark — Node ${process.version}, ${new Date().toISOString()}`);
say();

// 1. throughput ------------------------------------------------------------------------------------
await timeDispatcher(await prepareDeliveries(5)); // warm-up: connections, JIT, secret cache
await timeBareLoop(50);
const events = Math.ceil(DELIVERIES / WEBHOOKS);
const batches = await prepareDeliveries(events);
resetCounts();
const bareBefore = await timeBareLoop(events * WEBHOOKS);
const dispatched = await timeDispatcher(batches);
const dispatchCounts = { ...counts, sqs: { ...counts.sqs } };
const bareAfter = await timeBareLoop(events * WEBHOOKS);
const bare = {
  perSecond: (bareBefore.perSecond + bareAfter.perSecond) / 2,
  cpuMsPer: (bareBefore.cpuMsPer + bareAfter.cpuMsPer) / 2,
};
say(`1. Dispatcher throughput (${dispatched.n} deliveries, batches of 10, one container)`);
say(`   bare sign+POST loop : ${fmt(bare.perSecond)} deliveries/s, ${fmt(bare.cpuMsPer, 3)} CPU ms each`);
say(
  `   dispatcher handler  : ${fmt(dispatched.perSecond)} deliveries/s, ${fmt(dispatched.cpuMsPer, 3)} CPU ms each`,
);
say(
  `   ratio               : ${fmt(dispatched.perSecond / bare.perSecond, 2)}× the bare loop's throughput, ` +
    `${fmt(dispatched.cpuMsPer / bare.cpuMsPer, 2)}× its CPU per delivery`,
);
say();

// 2. latency through the pipeline ---------------------------------------------------------------
const pollerSqs = createSqsClient(info.sqsEndpoint);
countSqs(pollerSqs as unknown as { middlewareStack: Stack }, true);
const sources = [
  new SqsEventSource({
    sqs: pollerSqs,
    queueUrl: queue('events').url,
    queueArn: queue('events').arn,
    functionName: 'fanout',
    timeoutSeconds: FUNCTION_TIMEOUTS.fanout,
    handler: fanout,
  }),
  new SqsEventSource({
    sqs: pollerSqs,
    queueUrl: queue('deliveries').url,
    queueArn: queue('deliveries').arn,
    functionName: 'dispatcher',
    timeoutSeconds: FUNCTION_TIMEOUTS.dispatcher,
    handler: dispatcher,
    concurrency: 4,
  }),
];
for (const source of sources) source.start();
const publisher = createEventPublisher({ queueUrl: queue('events').url, endpoint: info.sqsEndpoint });
receipts.length = 0;
resetCounts();
const total = RATE * SECONDS;
const startedAt = Date.now();
for (let i = 0; i < total; i++) {
  const due = startedAt + (i * 1000) / RATE;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  await publisher.publishEvent({
    workspaceId: caller.workspaceId,
    event: 'lookup.completed',
    data: { email: `steady${i}@example.com`, lookup_id: `lu_s${i}` },
  });
}
const expected = total * WEBHOOKS;
const deadline = Date.now() + 60_000;
while (
  receipts.filter((r) => Date.parse(r.createdAt) >= startedAt).length < expected &&
  Date.now() < deadline
)
  await new Promise((resolve) => setTimeout(resolve, 100));
await new Promise((resolve) => setTimeout(resolve, 500)); // let the last deletes land
for (const source of sources) await source.stop();
// Receipts of the bare loop's last POSTs may still be arriving: count only this part's events.
const steady = receipts.filter((r) => Date.parse(r.createdAt) >= startedAt);
const latencies = steady.map((r) => r.at - Date.parse(r.createdAt)).sort((a, b) => a - b);
say(
  `2. Publish → receipt latency (${RATE} events/s × ${SECONDS} s, ${WEBHOOKS} webhooks each: ${expected} deliveries)`,
);
say(
  `   received ${steady.length}/${expected}; p50 ${latencies.length ? percentile(latencies, 50) : '-'} ms, p99 ${latencies.length ? percentile(latencies, 99) : '-'} ms, max ${latencies.at(-1) ?? '-'} ms`,
);
say();

// 3. requests and cost per delivery --------------------------------------------------------------
const perDelivery = (n: number) => n / Math.max(1, steady.length);
const sqsTotal = Object.values(counts.sqs).reduce((a, b) => a + b, 0);
const PRICES = {
  readUnit: 0.125 / 1e6, // DynamoDB on-demand, per read request unit
  writeUnit: 0.625 / 1e6, // per write request unit
  sqsRequest: 0.4 / 1e6, // standard queue, per request (64 KiB chunk)
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
};
const lambdaInvocations = perDelivery(
  counts.sqs.ReceiveMessageCommand ?? 0 /* one invocation per non-empty batch */,
);
const dispatcherBatchMs = ((dispatched.n / dispatched.perSecond) * 1000) / (dispatched.n / 10);
const lambdaGbSeconds = ((dispatcherBatchMs / 1000) * 0.25) / 10; // 256 MB, per delivery, dispatcher only
const cost = {
  dynamo: perDelivery(counts.readUnits) * PRICES.readUnit + perDelivery(counts.writeUnits) * PRICES.writeUnit,
  sqs: perDelivery(sqsTotal) * PRICES.sqsRequest,
  lambda: lambdaInvocations * PRICES.lambdaRequest + lambdaGbSeconds * PRICES.lambdaGbSecondArm,
};
say('3. AWS requests per delivery (steady-state run above, counted at the SDK; the SQS event source');
say("   mapping's receives that returned messages and its deletes included)");
say(
  `   DynamoDB: ${fmt(perDelivery(counts.dynamoReads), 2)} reads (${fmt(perDelivery(counts.readUnits), 2)} RRU), ${fmt(perDelivery(counts.dynamoWrites), 2)} writes (${fmt(perDelivery(counts.writeUnits), 2)} WRU)`,
);
say(
  `   SQS: ${fmt(perDelivery(sqsTotal), 2)} requests — ${Object.entries(counts.sqs)
    .map(([name, n]) => `${name.replace('Command', '')} ${fmt(perDelivery(n), 2)}`)
    .join(', ')}`,
);
say(
  `   (dispatcher alone, from part 1: ${fmt(dispatchCounts.dynamoReads / dispatched.n, 2)} reads, ${fmt(dispatchCounts.dynamoWrites / dispatched.n, 2)} writes per delivery)`,
);
say(
  '   Cost per 1M deliveries at us-east-1 list prices (on-demand DynamoDB, SQS standard, Lambda arm64 256 MB):',
);
say(
  `   DynamoDB $${fmt(cost.dynamo * 1e6, 2)} + SQS $${fmt(cost.sqs * 1e6, 2)} + Lambda $${fmt(cost.lambda * 1e6, 2)} = $${fmt((cost.dynamo + cost.sqs + cost.lambda) * 1e6, 2)}`,
);
say(
  '   (Lambda duration from part 1 against a local receiver; slow receivers cost more. Logs, ~0.3 KB a delivery, add ≈ $0.15.)',
);
say();

// 4. bundle sizes ---------------------------------------------------------------------------------
say('4. Function bundles (esbuild, minified CJS for node24, as the CDK stack bundles them)');
const entries = [
  ...ROUTES.map((route) => [route.handler, `functions/api/${route.handler}.ts`]),
  ['fallback', 'functions/api/fallback.ts'],
  ['fanout', 'functions/fanout/handler.ts'],
  ['dispatcher', 'functions/dispatcher/handler.ts'],
] as const;
for (const [name, entry] of entries) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  say(
    `   ${name.padEnd(16)} ${fmt(code.length / 1024, 0).padStart(6)} KiB  (${fmt(gzipSync(code).length / 1024, 0)} KiB gzipped)`,
  );
}

deps.sqs.destroy();
pollerSqs.destroy();
emulators.process.stdin?.end();
receiverProc.process.stdin?.end();
setTimeout(() => process.exit(0), 500).unref();
