import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
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
import { currentQueueUrl } from './queue-url.ts';

/** The prefix of local table names, unless a run asks for its own. */
export const LOCAL_TABLE_PREFIX = 'encrata-';

/** Local resource names: `encrata-<name>`, from the same definitions the CDK stack deploys. */
export function localTableName(name: TableName, prefix = LOCAL_TABLE_PREFIX): string {
  return `${prefix}${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
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

export interface EmulatorOptions {
  /** Where dynalite and fauxqs persist their data. @default - in memory */
  dataDir?: string;
  /** Retry delays of the schedule in use (sizes the deliveries queue's maxReceiveCount). */
  retries: number;
  /**
   * A DynamoDB-compatible endpoint to use instead of the embedded dynalite (ENCRATA_DYNAMODB_ENDPOINT,
   * e.g. AWS's DynamoDB Local); the tables are created there if missing.
   * @default - dynalite in this process
   */
  dynamodbEndpoint?: string;
  /** Prefix of the table names, so runs can share one endpoint without sharing tables. @default LOCAL_TABLE_PREFIX */
  tablePrefix?: string;
  /** Delete the tables on `stop()` (a test run's own tables on a shared endpoint). @default false */
  dropTablesOnStop?: boolean;
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

/** Creates the tables that are missing and waits until each is active (at once on the emulators). */
async function ensureTables(endpoint: string, prefix: string): Promise<Record<TableName, string>> {
  const client = new DynamoDBClient({ endpoint });
  const names = {} as Record<TableName, string>;
  try {
    for (const [key, definition] of Object.entries(TABLES) as [TableName, TableDefinition][]) {
      const name = localTableName(key, prefix);
      names[key] = name;
      try {
        await client.send(new DescribeTableCommand({ TableName: name }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
        await client.send(new CreateTableCommand(createTableInput(name, definition)));
        await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
      }
    }
  } finally {
    client.destroy();
  }
  return names;
}

async function dropTables(endpoint: string, names: readonly string[]): Promise<void> {
  const client = new DynamoDBClient({ endpoint });
  try {
    await Promise.all(
      names.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)),
    );
  } finally {
    client.destroy();
  }
}

/** Starts dynalite in this process on a loopback port; resolves to its endpoint and how to stop it. */
async function startDynalite(dataDir?: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const dynamo: Server = dynalite({
    path: dataDir ? join(dataDir, 'dynamodb') : undefined,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  dynamo.listen(0, '127.0.0.1');
  await once(dynamo, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => dynamo.close(() => resolve())),
  };
}

async function ensureQueue(
  sqs: SQSClient,
  sqsEndpoint: string,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = currentQueueUrl(created.QueueUrl ?? '', sqsEndpoint);
  // Set every time, so a changed retry schedule (and so maxReceiveCount) applies on restart.
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: described.Attributes?.QueueArn ?? '' };
}

async function ensureQueues(
  sqs: SQSClient,
  sqsEndpoint: string,
  retries: number,
): Promise<Record<keyof typeof QUEUES, QueueInfo>> {
  const result = {} as Record<keyof typeof QUEUES, QueueInfo>;
  for (const key of Object.keys(QUEUES) as (keyof typeof QUEUES)[]) {
    const definition = QUEUES[key];
    const retention = String(definition.retentionSeconds);
    const dlq = await ensureQueue(sqs, sqsEndpoint, localQueueName(key, true), {
      MessageRetentionPeriod: retention,
    });
    const maxReceiveCount =
      key === 'deliveries' ? deliveryMaxReceiveCount(retries) : definition.maxReceiveCount;
    const main = await ensureQueue(sqs, sqsEndpoint, localQueueName(key), {
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
 * Starts dynalite (unless `dynamodbEndpoint` names another DynamoDB) and fauxqs in this process,
 * persisted under `dataDir` when given (in memory otherwise), and creates the tables and queues from
 * the shared definitions.
 */
export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  const dynamo = options.dynamodbEndpoint
    ? { endpoint: options.dynamodbEndpoint, stop: async () => {} }
    : await startDynalite(options.dataDir);
  const dynamodbEndpoint = dynamo.endpoint;
  const released = options.dataDir ? releaseAbandonedMessages(join(options.dataDir, 'sqs')) : 0;
  const fauxqs = await startFauxqs({
    port: 0,
    logger: false,
    ...(options.dataDir ? { dataDir: join(options.dataDir, 'sqs') } : {}),
  });
  const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  const sqs = createSqsClient(sqsEndpoint);
  try {
    const tables = await ensureTables(dynamodbEndpoint, options.tablePrefix ?? LOCAL_TABLE_PREFIX);
    const queues = await ensureQueues(sqs, sqsEndpoint, options.retries);
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
        if (options.dropTablesOnStop) await dropTables(dynamodbEndpoint, Object.values(tables));
        await dynamo.stop();
      },
    };
  } catch (error) {
    sqs.destroy();
    await fauxqs.stop();
    await dynamo.stop();
    throw error;
  }
}
