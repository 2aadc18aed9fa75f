import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { SessionStore } from '../../core/ports.ts';
import type { SessionRecord } from '../../core/sessions.ts';

/** The item of a session: `key_hash = session#<token hash>`, beside the key items it points at. */
const sessionKey = (tokenHash: string) => `session#${tokenHash}`;

const sessionItemSchema = z.object({
  key_hash: z.string(),
  session_id: z.string(),
  target: z.string(),
  created_at: z.string(),
  expires_iso: z.string(),
});

/**
 * Dashboard sessions in the API keys table, one item each, like the keys' id pointers: without the
 * attributes the `by-workspace` index keys on, so key lists never see them. Read strongly consistent,
 * like keys. An expired item is refused by time (core/sessions.ts), removed on sign-out, and deleted
 * by the table's TTL some time after it expires.
 */
export class DynamoSessionStore implements SessionStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async create(record: SessionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          key_hash: sessionKey(record.tokenHash),
          session_id: record.id,
          target: record.keyHash,
          created_at: record.createdAt,
          expires_iso: record.expiresAt,
          // The table's TTL (epoch seconds) removes it some time after; readers go by `expires_iso`.
          expires_at: Math.ceil(Date.parse(record.expiresAt) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(key_hash)',
      }),
    );
  }

  async find(tokenHash: string): Promise<SessionRecord | null> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { key_hash: sessionKey(tokenHash) },
        ConsistentRead: true,
      }),
    );
    if (!result.Item) return null;
    const item = sessionItemSchema.parse(result.Item);
    return {
      id: item.session_id,
      tokenHash,
      keyHash: item.target,
      createdAt: item.created_at,
      expiresAt: item.expires_iso,
    };
  }

  async remove(tokenHash: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { key_hash: sessionKey(tokenHash) } }),
    );
  }
}
