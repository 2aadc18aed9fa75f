import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LimitExceededError } from '../../core/errors.ts';
import type { WebhookStore } from '../../core/ports.ts';
import { type WebhookRecord, webhookRecordSchema } from '../../core/records.ts';
import { isConditionalCheckFailed } from './client.ts';

/**
 * Webhooks table: (workspace_id, id). Each workspace also has one `#workspace` item whose
 * `webhook_count` enforces the per-workspace limit with a conditional update (no transactions),
 * and its recoveries under `#recovery#<id>`. '#' sorts before every UUID character (and
 * `#recovery` before `#workspace`), so `id > '#workspace'` selects the webhooks only.
 */
const WORKSPACE_ITEM = '#workspace';

export class DynamoWebhookStore implements WebhookStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async list(workspaceId: string): Promise<WebhookRecord[]> {
    const items: WebhookRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'workspace_id = :w AND id > :meta',
          ExpressionAttributeValues: { ':w': workspaceId, ':meta': WORKSPACE_ITEM },
          // Fan-out's subscribers and a new webhook's ref check read this right after writes: an
          // eventually consistent read could miss a webhook made (or still see one paused) just before.
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(webhookRecordSchema.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    if (id.startsWith('#')) return null;
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { workspace_id: workspaceId, id }, ConsistentRead: true }),
    );
    return result.Item ? webhookRecordSchema.parse(result.Item) : null;
  }

  async create(record: WebhookRecord, maxPerWorkspace: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: record.workspace_id, id: WORKSPACE_ITEM },
          UpdateExpression: 'ADD webhook_count :one',
          ConditionExpression: 'attribute_not_exists(webhook_count) OR webhook_count < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': maxPerWorkspace },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new LimitExceededError(`A workspace can hold at most ${maxPerWorkspace} webhooks`);
      }
      throw error;
    }
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      await this.adjustCount(record.workspace_id, -1);
      throw error;
    }
  }

  async update(
    record: WebhookRecord,
    expectedVersion: number | undefined,
  ): Promise<'updated' | 'conflict' | 'missing'> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression:
            expectedVersion === undefined
              ? 'attribute_exists(id) AND attribute_not_exists(version)'
              : 'attribute_exists(id) AND version = :v',
          ...(expectedVersion === undefined ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
      return 'updated';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return (await this.get(record.workspace_id, record.id)) ? 'conflict' : 'missing';
    }
  }

  async markFailing(workspaceId: string, id: string, at: string): Promise<boolean> {
    return this.conditionalUpdate(
      workspaceId,
      id,
      'SET failing_since = :at ADD version :one',
      'attribute_exists(id) AND attribute_not_exists(failing_since) AND is_active = :true',
      { ':at': at, ':one': 1, ':true': true },
    );
  }

  async clearFailing(workspaceId: string, id: string, seen: string): Promise<void> {
    await this.conditionalUpdate(
      workspaceId,
      id,
      'REMOVE failing_since ADD version :one',
      'failing_since = :seen',
      {
        ':seen': seen,
        ':one': 1,
      },
    );
  }

  async disableFailing(
    workspaceId: string,
    id: string,
    seen: string,
    at: string,
  ): Promise<WebhookRecord | null> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id },
          UpdateExpression:
            'SET is_active = :false, disabled_reason = :failing, paused_at = :at, updated_at = :at ADD version :one',
          ConditionExpression: 'failing_since = :seen AND is_active = :true',
          ExpressionAttributeValues: {
            ':false': false,
            ':true': true,
            ':failing': 'failing',
            ':at': at,
            ':seen': seen,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return webhookRecordSchema.parse(result.Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  private async conditionalUpdate(
    workspaceId: string,
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    if (id.startsWith('#')) return false;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    if (id.startsWith('#')) return false;
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id },
          ConditionExpression: 'attribute_exists(id)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    await this.adjustCount(workspaceId, -1);
    return true;
  }

  private async adjustCount(workspaceId: string, delta: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
        UpdateExpression: 'ADD webhook_count :delta',
        ExpressionAttributeValues: { ':delta': delta },
      }),
    );
  }
}
