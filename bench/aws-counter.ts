/**
 * The benchmark's AWS: dynalite and fauxqs with the stack's tables and queues, each behind a
 * counting proxy, in a child process so that none of its CPU is counted as the functions'.
 *
 * Every HTTP request the functions' SDK clients make passes through a proxy (SDK retries included,
 * since each is billed), which records per operation: DynamoDB capacity units (asked for with
 * ReturnConsumedCapacity, and computed from the item for failed conditional writes, which DynamoDB
 * bills too), and SQS's billed requests (one per 64 KiB chunk of payload), with empty receives apart.
 *
 * Protocol: prints one JSON line `{dynamodbEndpoint, sqsEndpoint, tables, queues}` when ready; then
 * answers each line on stdin: `counts` → the counts as one JSON line, `reset` → `{}`,
 * `storage` → `{bytes, items}` of every table (DynamoDB's storage size: item + 100 bytes).
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { startEmulators } from '../local/emulators.ts';
import { itemSize, sqsBilledRequests, writeUnits } from './cost.ts';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

interface OperationCount {
  calls: number;
  /** DynamoDB: capacity units; SQS: billed requests (64 KiB chunks). */
  units: number;
  /** DynamoDB: conditional writes that failed (billed); SQS: receives that returned nothing. */
  failed: number;
  failedUnits: number;
  /** DynamoDB: requests that ran on strongly consistent reads. */
  consistent: number;
  payloadBytes: number;
}

type Counts = Record<'dynamodb' | 'sqs', Record<string, OperationCount>>;
let counts: Counts = { dynamodb: {}, sqs: {} };
const count = (service: 'dynamodb' | 'sqs', operation: string): OperationCount => {
  counts[service][operation] ??= {
    calls: 0,
    units: 0,
    failed: 0,
    failedUnits: 0,
    consistent: 0,
    payloadBytes: 0,
  };
  return counts[service][operation];
};

// biome-ignore lint/suspicious/noExplicitAny: wire JSON of two AWS protocols
type Json = any;

const DYNAMO_CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

function consumedUnits(consumed: Json): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, c: Json) => sum + Number(c.CapacityUnits ?? 0), 0);
}

function recordDynamo(operation: string, input: Json, status: number, output: Json): void {
  const entry = count('dynamodb', operation);
  entry.calls++;
  if (input?.ConsistentRead) entry.consistent++;
  if (status === 200) {
    entry.units += consumedUnits(output?.ConsumedCapacity);
    return;
  }
  if (String(output?.__type ?? '').endsWith('ConditionalCheckFailedException')) {
    entry.failed++;
    // DynamoDB bills a failed conditional write as a write of the item (at least 1 unit).
    entry.failedUnits += input?.Item ? writeUnits(itemSize(input.Item)) : 1;
  }
}

function recordSqs(operation: string, input: Json, status: number, output: Json): void {
  const entry = count('sqs', operation);
  entry.calls++;
  if (status !== 200) return;
  let payload = 0;
  if (operation === 'SendMessage') payload = Buffer.byteLength(String(input?.MessageBody ?? ''));
  if (operation === 'SendMessageBatch') {
    for (const e of input?.Entries ?? []) payload += Buffer.byteLength(String(e.MessageBody ?? ''));
  }
  if (operation === 'ReceiveMessage') {
    const messages = output?.Messages ?? [];
    if (messages.length === 0) {
      entry.failed++;
      entry.failedUnits++;
      return;
    }
    for (const m of messages) payload += Buffer.byteLength(String(m.Body ?? ''));
  }
  entry.payloadBytes += payload;
  entry.units += sqsBilledRequests(payload);
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function countingProxy(targetPort: number, service: 'dynamodb' | 'sqs') {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() || 'unknown';
    let body = await readAll(req);
    let input: Json;
    try {
      input = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      input = undefined;
    }
    if (service === 'dynamodb' && input && DYNAMO_CAPACITY_OPERATIONS.has(operation)) {
      // dynalite checks no signatures, so the request can ask for its capacity to be reported.
      input.ReturnConsumedCapacity = 'TOTAL';
      body = Buffer.from(JSON.stringify(input));
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    const upstream = httpRequest(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers },
      async (answer) => {
        const raw = await readAll(answer);
        let output: Json;
        try {
          output = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          output = undefined;
        }
        const status = answer.statusCode ?? 0;
        if (service === 'dynamodb') recordDynamo(operation, input, status, output);
        else recordSqs(operation, input, status, output);
        res.writeHead(status, { ...answer.headers, 'content-length': String(raw.length) });
        res.end(raw);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  });
}

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const emulators = await startEmulators({ retries: Number(process.env.RETRIES ?? 2) });
const port = (url: string) => Number(new URL(url).port);
const dynamoProxy = await listen(countingProxy(port(emulators.dynamodbEndpoint), 'dynamodb'));
const sqsProxy = await listen(countingProxy(port(emulators.sqsEndpoint), 'sqs'));

function throughProxy(queueUrl: string): string {
  const url = new URL(queueUrl);
  url.port = String(sqsProxy);
  return url.toString();
}

async function storage(): Promise<{ bytes: number; items: number }> {
  const db = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint });
  let bytes = 0;
  let items = 0;
  try {
    for (const table of Object.values(emulators.tables)) {
      for await (const page of paginateScan({ client: db }, { TableName: table })) {
        for (const item of page.Items ?? []) {
          items++;
          bytes += itemSize(item as never) + 100;
        }
      }
    }
  } finally {
    db.destroy();
  }
  return { bytes, items };
}

process.stdout.write(
  `${JSON.stringify({
    dynamodbEndpoint: `http://127.0.0.1:${dynamoProxy}`,
    sqsEndpoint: `http://127.0.0.1:${sqsProxy}`,
    directDynamodbEndpoint: emulators.dynamodbEndpoint,
    tables: emulators.tables,
    // The SQS client sends each request to its QueueUrl's host: point those at the proxy too.
    queues: Object.fromEntries(
      Object.entries(emulators.queues).map(([name, q]) => [
        name,
        { ...q, url: throughProxy(q.url), dlqUrl: throughProxy(q.dlqUrl) },
      ]),
    ),
  })}\n`,
);

for await (const line of createInterface({ input: process.stdin })) {
  const command = line.trim();
  if (command === 'counts') process.stdout.write(`${JSON.stringify(counts)}\n`);
  else if (command === 'reset') {
    counts = { dynamodb: {}, sqs: {} };
    process.stdout.write('{}\n');
  } else if (command === 'storage') process.stdout.write(`${JSON.stringify(await storage())}\n`);
}
await emulators.stop();
process.exit(0);
