import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { isExpired } from '../../core/deliveries.ts';
import type { DeliveryLog, Page } from '../../core/ports.ts';
import { type DeliveryRow, deliveryRowSchema } from '../../core/records.ts';
import { decodeCursor, encodeCursor, isConditionalCheckFailed, positionOf } from './client.ts';

/** BatchWriteItem takes at most 25 items; unprocessed ones are retried this many times, backing off. */
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_ROUNDS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The deliveries table as the delivery log: (webhook_id, `<delivery id>#<seq>`). A delivery's rows
 * sort together and in order, delivery ids sort by time, so a reverse query is newest first — and
 * its first row of each delivery is that delivery's state.
 */
export class DynamoDeliveryLog implements DeliveryLog {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async append(row: DeliveryRow): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: row, ConditionExpression: 'attribute_not_exists(id)' }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async appendAll(rows: DeliveryRow[]): Promise<DeliveryRow[]> {
    const failed: DeliveryRow[] = [];
    await Promise.all(
      chunks(rows, BATCH_WRITE_MAX).map(async (chunk) => {
        const byKey = new Map(chunk.map((row) => [`${row.webhook_id}\n${row.id}`, row]));
        let requests = chunk.map((row) => ({ PutRequest: { Item: row } }));
        for (let round = 0; requests.length > 0; round++) {
          if (round === BATCH_WRITE_ROUNDS) {
            for (const request of requests) {
              const item = request.PutRequest.Item as DeliveryRow;
              failed.push(byKey.get(`${item.webhook_id}\n${item.id}`) ?? item);
            }
            return;
          }
          if (round > 0) await sleep(25 * 2 ** round);
          let result: BatchWriteCommandOutput;
          try {
            result = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
          } catch {
            // The SDK retried already; the rows stay unwritten this round (the last round gives up).
            continue;
          }
          // Throttling or a partition split can leave part of a batch unwritten: those go again.
          requests = (result.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        }
      }),
    );
    return failed;
  }

  async latest(webhookId: string, deliveryId: string, nowMs: number): Promise<DeliveryRow | null> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'webhook_id = :w AND begins_with(id, :d)',
        ExpressionAttributeValues: { ':w': webhookId, ':d': `${deliveryId}#` },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const raw = result.Items?.[0];
    if (!raw) return null;
    const row = deliveryRowSchema.parse(raw);
    return isExpired(row, nowMs) ? null : row;
  }

  async rows(webhookId: string, deliveryId: string, nowMs: number): Promise<DeliveryRow[]> {
    const rows: DeliveryRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'webhook_id = :w AND begins_with(id, :d)',
          ExpressionAttributeValues: { ':w': webhookId, ':d': `${deliveryId}#` },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) rows.push(deliveryRowSchema.parse(raw));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return rows.filter((row) => !isExpired(row, nowMs));
  }

  async page(
    webhookId: string,
    options: { before?: string; eventType?: string; limit: number; next?: string; nowMs: number },
  ): Promise<Page<DeliveryRow>> {
    const values: Record<string, unknown> = { ':w': webhookId };
    if (options.before) values[':before'] = options.before;
    if (options.eventType) values[':type'] = options.eventType;
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        // Rows are `<delivery id>#<seq>`, above `<delivery id>`: `id < before` leaves out `before`'s own.
        KeyConditionExpression: options.before ? 'webhook_id = :w AND id < :before' : 'webhook_id = :w',
        ...(options.eventType ? { FilterExpression: 'event_type = :type' } : {}),
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.next),
      }),
    );
    return {
      items: (result.Items ?? []).map((raw) => deliveryRowSchema.parse(raw)),
      next: encodeCursor(result.LastEvaluatedKey),
      position: positionOf(result.LastEvaluatedKey, result.Items),
    };
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
