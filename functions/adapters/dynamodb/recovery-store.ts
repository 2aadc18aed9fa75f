import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RecoveryStore } from '../../core/ports.ts';
import { type RecoveryRecord, recoveryItemId, recoveryRecordSchema } from '../../core/records.ts';
import { isConditionalCheckFailed } from './client.ts';

/** Recoveries, in the webhooks table under `#recovery#<id>` (out of the webhook list's key range). */
export class DynamoRecoveryStore implements RecoveryStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async create(record: RecoveryRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  }

  async get(workspaceId: string, recoveryId: string): Promise<RecoveryRecord | null> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: recoveryItemId(recoveryId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? recoveryRecordSchema.parse(result.Item) : null;
  }

  async advance(record: RecoveryRecord, seenStep: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_exists(id) AND step = :seen',
          ExpressionAttributeValues: { ':seen': seenStep },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
