import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired } from '../../core/deliveries.ts';
import type { EventStore } from '../../core/ports.ts';
import { type EventItem, eventItemSchema } from '../../core/records.ts';

/** An event's item key in the events table (event-store.ts says what the table holds). */
export const itemKey = (eventKey: string) => `e#${eventKey}`;

/** One event by key: all the dispatcher reads of the events table, so its bundle holds only this. */
export class DynamoEventReader implements Pick<EventStore, 'get'> {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async get(workspaceId: string, eventKey: string, nowMs: number): Promise<EventItem | null> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: itemKey(eventKey) },
        ConsistentRead: true,
      }),
    );
    if (!result.Item) return null;
    const item = eventItemSchema.parse(result.Item);
    return isExpired(item, nowMs) ? null : item;
  }
}
