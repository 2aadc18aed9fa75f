import {
  DeleteCommand,
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

/** The item that finds a key by id: `key_hash = id#<workspace>#<key id>` → the key's hash. */
const pointerKey = (workspaceId: string, id: string) => `id#${workspaceId}#${id}`;

/**
 * API keys table: key_hash → record, with the `by-workspace` index (workspace_id, id) for lists, and
 * one pointer item per key (`id#<workspace>#<id>` → its hash, without the attributes the index keys
 * on, so lists never see it) so that a key is found by id with a strongly consistent read — the
 * index is eventually consistent, and a key made and revoked at once must not be missed.
 * Authentication reads by hash, strongly consistent, so a revocation is seen at once.
 */
export class DynamoApiKeyStore implements ApiKeyStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    if (keyHash.startsWith('id#')) return null;
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { key_hash: keyHash }, ConsistentRead: true }),
    );
    return result.Item ? apiKeyRecordSchema.parse(result.Item) : null;
  }

  async create(record: ApiKeyRecord): Promise<void> {
    // The pointer first: should the key's own write fail, a pointer to nothing is harmless. Each
    // condition accepts this very write, so the SDK retrying one whose answer was lost succeeds.
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { key_hash: pointerKey(record.workspace_id, record.id), target: record.key_hash },
        ConditionExpression: 'attribute_not_exists(key_hash) OR target = :target',
        ExpressionAttributeValues: { ':target': record.key_hash },
      }),
    );
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(key_hash) OR id = :id',
        ExpressionAttributeValues: { ':id': record.id },
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
    const pointer = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { key_hash: pointerKey(workspaceId, id) },
        ConsistentRead: true,
      }),
    );
    const target = pointer.Item?.target;
    if (typeof target === 'string') {
      const record = await this.findByHash(target);
      return record && record.workspace_id === workspaceId && record.id === id ? record : null;
    }
    // Keys made before pointers were kept: the index (eventually consistent, but long since settled).
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

  async revoke(
    keyHash: string,
    revokedAt: string,
    reason: 'revoked' | 'deleted',
  ): Promise<ApiKeyRecord | null> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key_hash: keyHash },
          UpdateExpression: 'SET revoked_at = :at, revoked_reason = :reason',
          ConditionExpression: 'attribute_exists(key_hash) AND revoked_at = :null',
          ExpressionAttributeValues: { ':at': revokedAt, ':reason': reason, ':null': null },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return apiKeyRecordSchema.parse(result.Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  async rename(keyHash: string, name: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key_hash: keyHash },
          UpdateExpression: 'SET #name = :name',
          ConditionExpression: 'attribute_exists(key_hash)',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': name },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async setDisabled(keyHash: string, disabledAt: string | null): Promise<ApiKeyRecord | 'revoked' | null> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key_hash: keyHash },
          UpdateExpression: disabledAt
            ? 'SET disabled_at = if_not_exists(disabled_at, :at)'
            : 'REMOVE disabled_at',
          ConditionExpression: 'attribute_exists(key_hash) AND revoked_at = :null',
          ExpressionAttributeValues: disabledAt ? { ':at': disabledAt, ':null': null } : { ':null': null },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return apiKeyRecordSchema.parse(result.Attributes);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return (await this.findByHash(keyHash)) ? 'revoked' : null;
    }
  }

  async remove(record: ApiKeyRecord): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { key_hash: record.key_hash } }));
    await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { key_hash: pointerKey(record.workspace_id, record.id) },
      }),
    );
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
