import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookStore } from '../../core/ports.ts';
import { type WebhookRecord, webhookRecordSchema } from '../../core/records.ts';
import { isConditionalCheckFailed } from './client.ts';

/** The workspace's own item in the webhooks table (webhook-store.ts says what it holds). */
export const WORKSPACE_ITEM = '#workspace';

/**
 * One webhook by id and its failing clock: all the dispatcher asks of the webhooks table, apart
 * from the rest of the store so that its bundle holds only this.
 */
export class DynamoWebhookHealthStore
  implements Pick<WebhookStore, 'get' | 'markFailing' | 'clearFailing' | 'disableFailing'>
{
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    if (id.startsWith('#')) return null;
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { workspace_id: workspaceId, id }, ConsistentRead: true }),
    );
    return result.Item ? webhookRecordSchema.parse(result.Item) : null;
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

  protected async conditionalUpdate(
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
}
