import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { createSqsClient } from '../functions/adapters/sqs/client.ts';
import {
  deliveryMaxReceiveCount,
  type KeyDefinition,
  QUEUES,
  TABLES,
  type TableDefinition,
  type TableName,
} from '../functions/resources.ts';

/** Local resource names: `encrata-<name>`, from the same definitions the CDK stack deploys. */
export function localTableName(name: TableName): string {
  return `encrata-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
export function localQueueName(name: keyof typeof QUEUES, deadLetter = false): string {
  return `encrata-${name}${deadLetter ? '-dlq' : ''}`;
}

export interface QueueInfo {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface Emulators {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<TableName, string>;
  queues: Record<keyof typeof QUEUES, QueueInfo>;
  sqs: SQSClient;
  /** How many messages left in flight by a previous, killed run were made visible again at start. */
  releaseInFlight(): Promise<number>;
  stop(): Promise<void>;
}

/** CreateTable input for a definition (on-demand; TTL is filtered on read, dynalite lacks it). */
export function createTableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  const keys: KeyDefinition[] = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
  for (const index of table.globalSecondaryIndexes ?? []) {
    keys.push(index.partitionKey, ...(index.sortKey ? [index.sortKey] : []));
  }
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  const schema = (pk: KeyDefinition, sk?: KeyDefinition) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: schema(table.partitionKey, table.sortKey),
    GlobalSecondaryIndexes: table.globalSecondaryIndexes?.map((index) => ({
      IndexName: index.indexName,
      KeySchema: schema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

async function ensureTables(endpoint: string): Promise<Record<TableName, string>> {
  const client = new DynamoDBClient({ endpoint });
  const names = {} as Record<TableName, string>;
  try {
    for (const [key, definition] of Object.entries(TABLES) as [TableName, TableDefinition][]) {
      const name = localTableName(key);
      names[key] = name;
      try {
        await client.send(new DescribeTableCommand({ TableName: name }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
        await client.send(new CreateTableCommand(createTableInput(name, definition)));
      }
    }
  } finally {
    client.destroy();
  }
  return names;
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = created.QueueUrl ?? '';
  // Set every time, so a changed retry schedule (and so maxReceiveCount) applies on restart.
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: described.Attributes?.QueueArn ?? '' };
}

async function ensureQueues(
  sqs: SQSClient,
  retries: number,
): Promise<Record<keyof typeof QUEUES, QueueInfo>> {
  const result = {} as Record<keyof typeof QUEUES, QueueInfo>;
  for (const key of Object.keys(QUEUES) as (keyof typeof QUEUES)[]) {
    const definition = QUEUES[key];
    const retention = String(definition.retentionSeconds);
    const dlq = await ensureQueue(sqs, localQueueName(key, true), { MessageRetentionPeriod: retention });
    const maxReceiveCount =
      key === 'deliveries' ? deliveryMaxReceiveCount(retries) : definition.maxReceiveCount;
    const main = await ensureQueue(sqs, localQueueName(key), {
      VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
      MessageRetentionPeriod: retention,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
    });
    result[key] = { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
  }
  return result;
}

/**
 * Makes messages a killed previous run left in flight visible again, before fauxqs loads them.
 * Only this process consumes these queues, so nobody else holds them; on AWS they would come back
 * after their visibility timeout (up to 3 minutes here), which is a long wait at a desk. Messages
 * hidden for longer than a batch can take are waiting for a retry and are left alone.
 * fauxqs cannot do this through the API (ChangeMessageVisibility does not find restored in-flight
 * receipts), so it is done on its SQLite file; the e2e "killed mid-batch" test guards the coupling.
 */
export function releaseAbandonedMessages(sqsDataDir: string): number {
  const file = join(sqsDataDir, 'fauxqs.db');
  if (!existsSync(file)) return 0;
  const db = new DatabaseSync(file);
  try {
    const result = db
      .prepare(
        'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE receipt_handle IS NOT NULL',
      )
      .run();
    return Number(result.changes);
  } finally {
    db.close();
  }
}

/**
 * Starts dynalite and fauxqs in this process, persisted under `dataDir` when given (in memory
 * otherwise), and creates the tables and queues from the shared definitions.
 */
export async function startEmulators(options: { dataDir?: string; retries: number }): Promise<Emulators> {
  const dynamo: Server = dynalite({
    path: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  dynamo.listen(0, '127.0.0.1');
  await once(dynamo, 'listening');
  const dynamodbEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const released = options.dataDir ? releaseAbandonedMessages(join(options.dataDir, 'sqs')) : 0;
  const fauxqs = await startFauxqs({
    port: 0,
    logger: false,
    ...(options.dataDir ? { dataDir: join(options.dataDir, 'sqs') } : {}),
  });
  const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  const sqs = createSqsClient(sqsEndpoint);
  try {
    const tables = await ensureTables(dynamodbEndpoint);
    const queues = await ensureQueues(sqs, options.retries);
    return {
      dynamodbEndpoint,
      sqsEndpoint,
      tables,
      queues,
      sqs,
      releaseInFlight: async () => released,
      stop: async () => {
        sqs.destroy();
        await fauxqs.stop();
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      },
    };
  } catch (error) {
    sqs.destroy();
    await fauxqs.stop();
    dynamo.close();
    throw error;
  }
}
