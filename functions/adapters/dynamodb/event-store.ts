import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type EventRecord, eventRecordSchema, isExpired } from '../../core/deliveries.ts';
import type { EventStore } from '../../core/ports.ts';
import { isConditionalCheckFailed } from './client.ts';

/** Events table: (workspace_id, id); the body of each event, stored once. */
export class DynamoEventStore implements EventStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async putIfAbsent(record: EventRecord): Promise<{ record: EventRecord; created: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return { record, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // A repeat of the same idempotency key: the first publication wins.
    const existing = await this.get(record.workspace_id, record.id, 0);
    if (!existing) throw new Error(`event ${record.id} vanished between a conditional put and a read`);
    return { record: existing, created: false };
  }

  async get(workspaceId: string, id: string, nowMs: number): Promise<EventRecord | null> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { workspace_id: workspaceId, id }, ConsistentRead: true }),
    );
    if (!result.Item) return null;
    const record = eventRecordSchema.parse(result.Item);
    return isExpired(record, nowMs) ? null : record;
  }

  async markFannedOut(workspaceId: string, id: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id },
        UpdateExpression: 'SET fanned_out_at = :at',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async renewLease(
    workspaceId: string,
    id: string,
    seenLeaseUntil: number | undefined,
    leaseUntil: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id },
          UpdateExpression: 'SET fanout_lease_until = :lease',
          ConditionExpression:
            seenLeaseUntil === undefined
              ? 'attribute_not_exists(fanout_lease_until) AND attribute_not_exists(fanned_out_at)'
              : 'fanout_lease_until = :seen AND attribute_not_exists(fanned_out_at)',
          ExpressionAttributeValues:
            seenLeaseUntil === undefined
              ? { ':lease': leaseUntil }
              : { ':lease': leaseUntil, ':seen': seenLeaseUntil },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getMany(workspaceId: string, ids: string[], nowMs: number): Promise<Map<string, EventRecord>> {
    const found = new Map<string, EventRecord>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((id) => ({ workspace_id: workspaceId, id }));
      // Unprocessed keys are retried a bounded number of times, then reported as a failure.
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round === 5) throw new Error('BatchGetItem left keys unprocessed after 5 rounds');
        const result: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const raw of result.Responses?.[this.table] ?? []) {
          const record = eventRecordSchema.parse(raw);
          if (!isExpired(record, nowMs)) found.set(record.id, record);
        }
        keys = result.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }
}
