import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isExpired } from '../../core/deliveries.ts';
import type { EventStore, Page } from '../../core/ports.ts';
import { type EventClaim, type EventItem, eventClaimSchema, eventItemSchema } from '../../core/records.ts';
import { decodeCursor, encodeCursor, isConditionalCheckFailed, positionOf } from './client.ts';
import { DynamoEventReader, itemKey } from './event-reader.ts';

const claimKey = (eventId: string) => `k#${eventId}`;

/**
 * Events table: (workspace_id, id) holding two kinds of item per event — its claim under
 * `k#<event id>` (idempotency and the fan-out lease) and the event under `e#<event key>`, keys that
 * sort by time, so a workspace's events list newest first with one query.
 */
export class DynamoEventStore extends DynamoEventReader implements EventStore {
  async claim(claim: EventClaim): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: claim,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getClaim(workspaceId: string, eventId: string): Promise<EventClaim | null> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: claimKey(eventId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? eventClaimSchema.parse(result.Item) : null;
  }

  async renewLease(workspaceId: string, eventId: string, seenLeaseUntil: number, leaseUntil: number) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id: claimKey(eventId) },
          UpdateExpression: 'SET lease_until = :lease',
          ConditionExpression: 'lease_until = :seen AND attribute_not_exists(done)',
          ExpressionAttributeValues: { ':lease': leaseUntil, ':seen': seenLeaseUntil },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async markDone(workspaceId: string, eventId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: claimKey(eventId) },
        UpdateExpression: 'SET done = :yes',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  async markFanOutFailed(workspaceId: string, eventKey: string, at: string, error: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id: itemKey(eventKey) },
          UpdateExpression: 'SET fanout_failed_at = :at, fanout_error = :error',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':at': at, ':error': error.slice(0, 500) },
        }),
      );
    } catch (caught) {
      if (!isConditionalCheckFailed(caught)) throw caught;
    }
  }

  async put(item: EventItem): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
  }

  async getMany(workspaceId: string, eventKeys: string[], nowMs: number): Promise<Map<string, EventItem>> {
    const found = new Map<string, EventItem>();
    const unique = [...new Set(eventKeys)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((key) => ({ workspace_id: workspaceId, id: itemKey(key) }));
      // Unprocessed keys are retried a bounded number of times, then reported as a failure.
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round === 5) throw new Error('BatchGetItem left keys unprocessed after 5 rounds');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
        const result: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const raw of result.Responses?.[this.table] ?? []) {
          const item = eventItemSchema.parse(raw);
          if (!isExpired(item, nowMs)) found.set(item.id.slice(2), item);
        }
        keys = result.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  async page(
    workspaceId: string,
    options: { atOrBelow?: string; from?: string; limit: number; next?: string; nowMs: number },
  ): Promise<Page<EventItem>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'workspace_id = :w AND id BETWEEN :low AND :high',
        ExpressionAttributeValues: {
          ':w': workspaceId,
          ':low': itemKey(options.from ?? ''),
          // '~' sorts after every character of an event key: "at or below" includes the key itself.
          ':high': itemKey(`${options.atOrBelow ?? ''}~`),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.next),
      }),
    );
    const items = (result.Items ?? [])
      .map((raw) => eventItemSchema.parse(raw))
      .filter((item) => !isExpired(item, options.nowMs));
    return {
      items,
      next: encodeCursor(result.LastEvaluatedKey),
      position: positionOf(result.LastEvaluatedKey, result.Items),
    };
  }

  async range(
    workspaceId: string,
    options: { after?: string; from: string; below: string; limit: number; nowMs: number },
  ): Promise<{ items: EventItem[]; position: string | null; more: boolean }> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        // Both bounds are inclusive: `after` is dropped below, and `below` (a time prefix) sorts
        // before every key that starts with it.
        KeyConditionExpression: 'workspace_id = :w AND id BETWEEN :low AND :high',
        ExpressionAttributeValues: {
          ':w': workspaceId,
          ':low': itemKey(options.after ?? options.from),
          ':high': itemKey(options.below),
        },
        ScanIndexForward: true,
        ConsistentRead: true,
        // The cursor's own item comes first when it still exists: read one more for it.
        Limit: options.after ? options.limit + 1 : options.limit,
      }),
    );
    const raw = result.Items ?? [];
    const items = raw
      .map((item) => eventItemSchema.parse(item))
      .filter((item) => item.id !== itemKey(options.after ?? '') && !isExpired(item, options.nowMs));
    const last = raw.at(-1)?.id;
    return {
      items,
      position: typeof last === 'string' ? last.slice(2) : null,
      more: result.LastEvaluatedKey !== undefined,
    };
  }
}
