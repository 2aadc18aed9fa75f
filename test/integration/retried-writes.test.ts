import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoWebhookStore } from '../../functions/adapters/dynamodb/webhook-store.ts';
import { LimitExceededError } from '../../functions/core/errors.ts';
import type { WebhookRecord } from '../../functions/core/records.ts';
import { config } from '../../functions/shared/config.ts';
import { dynamo } from '../../functions/shared/wiring.ts';

/**
 * Writes that survive the SDK's own retries. A fault is injected the way a network loses an answer:
 * the request reaches DynamoDB and is applied, then its response is dropped (a transient error the SDK
 * retries). The retry must neither fail nor count twice, and a create that fails for good leaves nothing.
 */

/** Which operations lose their answer, and how many times each (Infinity: every attempt). */
type Drops = Partial<Record<string, number>>;

const made: DynamoDBClient[] = [];
afterAll(() => {
  for (const client of made) client.destroy();
});

function faultyClient(drops: Drops): { db: DynamoDBDocumentClient; dropped: string[] } {
  const dropped: string[] = [];
  const client = new DynamoDBClient({
    endpoint: config().endpoints.dynamodb,
    maxAttempts: 3,
  });
  made.push(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const operation = context.commandName?.replace(/Command$/, '') ?? '';
      const left = drops[operation] ?? 0;
      if (left > 0) {
        drops[operation] = left - 1;
        dropped.push(operation);
        // Applied by DynamoDB, answer lost on the way back: what the SDK sees as a transient failure.
        throw Object.assign(new Error('socket hang up'), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      }
      return result;
    },
    // Inside the retry loop (finalizeRequest), right at the wire.
    { step: 'deserialize', name: 'dropAnswerAfterWrite' },
  );
  return {
    db: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    dropped,
  };
}

const NOW = new Date('2026-11-01T12:00:00.000Z').toISOString();
function webhook(workspaceId: string): WebhookRecord {
  return {
    workspace_id: workspaceId,
    id: randomUUID(),
    url: 'https://example.com/hook',
    events: ['lookup.completed'],
    is_active: true,
    description: '',
    secret_ciphertext: `v1.${randomUUID()}`,
    created_by: 'key',
    created_at: NOW,
    updated_at: NOW,
    version: 1,
  };
}

const table = () => config().tables.webhooks;
/** The truth, read with a client no fault touches. */
const truth = () => new DynamoWebhookStore(dynamo(), table());
async function slots(workspaceId: string): Promise<string[]> {
  const meta = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: { workspace_id: workspaceId, id: '#workspace' },
      ConsistentRead: true,
    }),
  );
  const ids = meta.Item?.webhook_ids as Set<string> | undefined;
  return [...(ids ?? [])].sort();
}
const workspace = () => `ws_retry_${randomUUID().slice(0, 8)}`;

describe('webhook writes under SDK retries after a lost answer', () => {
  it('a create whose write answer was lost succeeds on the retry, counted once', async () => {
    const ws = workspace();
    const { db, dropped } = faultyClient({ PutItem: 1 });
    const record = webhook(ws);
    await new DynamoWebhookStore(db, table()).create(record, 50);
    expect(dropped).toEqual(['PutItem']);
    expect((await truth().list(ws)).map((w) => w.id)).toEqual([record.id]);
    expect(await slots(ws)).toEqual([record.id]);
  });

  it('a slot whose answer was lost is taken once, so the limit still admits exactly the maximum', async () => {
    const ws = workspace();
    const { db, dropped } = faultyClient({ UpdateItem: 2 });
    const store = new DynamoWebhookStore(db, table());
    const first = webhook(ws);
    const second = webhook(ws);
    await store.create(first, 2);
    expect(dropped).toEqual(['UpdateItem', 'UpdateItem']);
    await store.create(second, 2);
    await expect(store.create(webhook(ws), 2)).rejects.toBeInstanceOf(LimitExceededError);
    expect(await slots(ws)).toEqual([first.id, second.id].sort());
    expect((await truth().list(ws)).length).toBe(2);
  });

  it('a create that fails for good leaves neither the webhook nor its slot', async () => {
    const ws = workspace();
    // Every attempt of the write lands and loses its answer: the create fails (a 500 to the caller).
    const { db } = faultyClient({ PutItem: Number.POSITIVE_INFINITY });
    const record = webhook(ws);
    await expect(new DynamoWebhookStore(db, table()).create(record, 50)).rejects.toThrow('socket hang up');
    expect(await truth().get(ws, record.id)).toBeNull();
    expect(await slots(ws)).toEqual([]);
  });

  it('a delete whose answer was lost still succeeds and frees the slot', async () => {
    const ws = workspace();
    const record = webhook(ws);
    await truth().create(record, 50);
    const { db, dropped } = faultyClient({ DeleteItem: 1, UpdateItem: 1 });
    expect(await new DynamoWebhookStore(db, table()).delete(ws, record.id)).toBe(true);
    expect(dropped).toEqual(['DeleteItem', 'UpdateItem']);
    expect(await truth().get(ws, record.id)).toBeNull();
    expect(await slots(ws)).toEqual([]);
    expect(await truth().delete(ws, record.id)).toBe(false);
  });
});

describe('slots that outlived their webhook (a failed undo or release)', () => {
  const leak = (ws: string, ids: string[]) =>
    dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: { workspace_id: ws, id: '#workspace' },
        UpdateExpression: 'ADD webhook_ids :ids',
        ExpressionAttributeValues: { ':ids': new Set(ids) },
      }),
    );

  it('are given back when the limit blocks a create, so the limit counts real webhooks', async () => {
    const ws = workspace();
    const real = webhook(ws);
    await truth().create(real, 2);
    const ghost = randomUUID();
    await leak(ws, [ghost]);
    const next = webhook(ws);
    await truth().create(next, 2);
    expect(await slots(ws)).toEqual([real.id, next.id].sort());
    await expect(truth().create(webhook(ws), 2)).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('is released by a retried delete that finds the webhook already gone', async () => {
    const ws = workspace();
    const gone = randomUUID();
    await leak(ws, [gone]);
    expect(await truth().delete(ws, gone)).toBe(false);
    expect(await slots(ws)).toEqual([]);
    // A delete of an id that holds no slot writes nothing (no workspace item is made).
    const other = workspace();
    expect(await truth().delete(other, randomUUID())).toBe(false);
    const meta = await dynamo().send(
      new GetCommand({
        TableName: table(),
        Key: { workspace_id: other, id: '#workspace' },
        ConsistentRead: true,
      }),
    );
    expect(meta.Item).toBeUndefined();
  });
});

describe('a workspace counted before the id set was kept', () => {
  it('is rebuilt from its webhooks the first time the legacy count blocks a create', async () => {
    const ws = workspace();
    const existing = webhook(ws);
    await truth().create(existing, 50);
    // What an older version left: a drifted count (2 for 1 webhook) and no id set.
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: { workspace_id: ws, id: '#workspace', webhook_count: 2 },
      }),
    );
    const next = webhook(ws);
    await truth().create(next, 2);
    expect(await slots(ws)).toEqual([existing.id, next.id].sort());
    await expect(truth().create(webhook(ws), 2)).rejects.toBeInstanceOf(LimitExceededError);
  });
});

describe('API key writes under SDK retries after a lost answer', () => {
  it('a key whose writes lost their answers is created (the retry finds its own write)', async () => {
    const { DynamoApiKeyStore } = await import('../../functions/adapters/dynamodb/api-key-store.ts');
    const { buildApiKeyRecord } = await import('../../functions/core/api-keys.ts');
    const { generateApiKey, hashApiKey } = await import('../../functions/core/ids.ts');
    const ws = workspace();
    const key = generateApiKey();
    const record = buildApiKeyRecord({
      key,
      keyHash: hashApiKey(key),
      id: randomUUID(),
      workspaceId: ws,
      name: 'retried',
      createdAt: NOW,
    });
    // Both the pointer's and the key's write land and lose their answer once.
    const { db, dropped } = faultyClient({ PutItem: 2 });
    await new DynamoApiKeyStore(db, config().tables.apiKeys).create(record);
    expect(dropped).toEqual(['PutItem', 'PutItem']);
    const stored = new DynamoApiKeyStore(dynamo(), config().tables.apiKeys);
    expect(await stored.findById(ws, record.id)).toEqual(record);
    expect(await stored.findByHash(record.key_hash)).toEqual(record);
  });
});
