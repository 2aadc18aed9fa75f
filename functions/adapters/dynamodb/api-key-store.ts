import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyStore } from '../../core/ports.ts';
import { type ApiKeyRecord, apiKeyRecordSchema } from '../../core/records.ts';
import { TABLES } from '../../resources.ts';
import { isConditionalCheckFailed } from './client.ts';

const BY_WORKSPACE = TABLES.apiKeys.globalSecondaryIndexes[0].indexName;

/**
 * API keys table: key_hash → record, with the `by-workspace` index (workspace_id, id) for lists.
 * Authentication reads by hash with a strongly consistent read, so a revocation is seen at once.
 */
export class DynamoApiKeyStore implements ApiKeyStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { key_hash: keyHash }, ConsistentRead: true }),
    );
    return result.Item ? apiKeyRecordSchema.parse(result.Item) : null;
  }

  async create(record: ApiKeyRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(key_hash)',
      }),
    );
  }

  async listByWorkspace(workspaceId: string): Promise<ApiKeyRecord[]> {
    const items: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_WORKSPACE,
          KeyConditionExpression: 'workspace_id = :w',
          ExpressionAttributeValues: { ':w': workspaceId },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(apiKeyRecordSchema.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_WORKSPACE,
        KeyConditionExpression: 'workspace_id = :w AND id = :id',
        ExpressionAttributeValues: { ':w': workspaceId, ':id': id },
      }),
    );
    const item = page.Items?.[0];
    return item ? apiKeyRecordSchema.parse(item) : null;
  }

  async revoke(keyHash: string, revokedAt: string): Promise<ApiKeyRecord | null> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key_hash: keyHash },
          UpdateExpression: 'SET revoked_at = :at',
          ConditionExpression: 'attribute_exists(key_hash) AND revoked_at = :null',
          ExpressionAttributeValues: { ':at': revokedAt, ':null': null },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return apiKeyRecordSchema.parse(result.Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  async touch(keyHash: string, usedAt: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { key_hash: keyHash },
        UpdateExpression: 'SET last_used = :at',
        ConditionExpression: 'attribute_exists(key_hash)',
        ExpressionAttributeValues: { ':at': usedAt },
      }),
    );
  }
}
