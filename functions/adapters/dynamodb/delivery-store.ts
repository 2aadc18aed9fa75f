import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type DeliveryRecord, deliveryRecordSchema, isExpired } from '../../core/deliveries.ts';
import type { DeliveryPage, DeliveryStore } from '../../core/ports.ts';
import { isConditionalCheckFailed } from './client.ts';

/** Most items one list call reads before it stops paging (bounds a sparse status filter). */
const MAX_SCANNED_PER_LIST = 2000;

/**
 * Deliveries table: (webhook_id, id). Delivery ids begin with their creation time, so a query in
 * reverse key order is newest first, and `before` is just `id < :before`.
 */
export class DynamoDeliveryStore implements DeliveryStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async createIfAbsent(record: DeliveryRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(webhookId: string, id: string, nowMs: number): Promise<DeliveryRecord | null> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { webhook_id: webhookId, id }, ConsistentRead: true }),
    );
    if (!result.Item) return null;
    const record = deliveryRecordSchema.parse(result.Item);
    return isExpired(record, nowMs) ? null : record;
  }

  async saveAttempt(record: DeliveryRecord, expectedAttempts: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_exists(id) AND attempts = :expected',
          ExpressionAttributeValues: { ':expected': expectedAttempts },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async list(
    webhookId: string,
    options: { limit: number; status?: DeliveryRecord['status']; before?: string; nowMs: number },
  ): Promise<DeliveryPage> {
    const items: DeliveryRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    let scanned = 0;
    let more = false;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: options.before ? 'webhook_id = :w AND id < :before' : 'webhook_id = :w',
          ExpressionAttributeValues: options.before
            ? { ':w': webhookId, ':before': options.before }
            : { ':w': webhookId },
          ScanIndexForward: false,
          Limit: Math.min(250, options.limit + 1),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) {
        scanned++;
        const record = deliveryRecordSchema.parse(raw);
        if (isExpired(record, options.nowMs)) continue;
        if (options.status && record.status !== options.status) continue;
        if (items.length === options.limit) {
          more = true;
          break;
        }
        items.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (!more && startKey && scanned < MAX_SCANNED_PER_LIST);
    if (!more && startKey) more = true;
    const last = items.at(-1);
    return { items, nextCursor: more && last ? last.id : null };
  }
}
