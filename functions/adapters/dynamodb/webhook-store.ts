import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LimitExceededError } from '../../core/errors.ts';
import type { WebhookStore } from '../../core/ports.ts';
import { type WebhookRecord, webhookRecordSchema } from '../../core/records.ts';
import { isConditionalCheckFailed } from './client.ts';
import { DynamoWebhookHealthStore, WORKSPACE_ITEM } from './webhook-health-store.ts';

/**
 * Webhooks table: (workspace_id, id). Each workspace also has one `#workspace` item whose
 * `webhook_ids` (a string set: adding or removing an id twice changes nothing, so SDK retries cannot
 * make it drift) enforces the per-workspace limit with a conditional update (no transactions),
 * and its recoveries under `#recovery#<id>`. '#' sorts before every UUID character (and
 * `#recovery` before `#workspace`), so `id > '#workspace'` selects the webhooks only.
 */

/** The whole store: the API's and fan-out's (the dispatcher bundles only its base). */
export class DynamoWebhookStore extends DynamoWebhookHealthStore implements WebhookStore {
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

  /**
   * Takes a slot for the webhook, then writes it. Both writes are idempotent, so the SDK retrying one
   * whose answer was lost (it did succeed) neither fails nor counts twice: the slot is the webhook's id
   * added to the workspace's `webhook_ids` set, and the write's condition accepts its own earlier
   * write (the same freshly encrypted secret). If the write still fails, it is undone — the webhook
   * and then its slot — so a create that answered 5xx leaves nothing behind.
   */
  async create(record: WebhookRecord, maxPerWorkspace: number): Promise<void> {
    await this.takeSlot(record.workspace_id, record.id, maxPerWorkspace);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          // A new UUID is free; an item with our ciphertext is this very write, retried.
          ConditionExpression: 'attribute_not_exists(id) OR secret_ciphertext = :own',
          ExpressionAttributeValues: { ':own': record.secret_ciphertext },
        }),
      );
    } catch (error) {
      await this.undoCreate(record).catch(() => undefined);
      throw error;
    }
  }

  private async takeSlot(workspaceId: string, id: string, maxPerWorkspace: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
            UpdateExpression: 'ADD webhook_ids :id',
            ConditionExpression:
              '(attribute_not_exists(webhook_ids) AND attribute_not_exists(webhook_count)) OR size(webhook_ids) < :max OR contains(webhook_ids, :one)',
            ExpressionAttributeValues: { ':id': new Set([id]), ':one': id, ':max': maxPerWorkspace },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // A workspace counted before the id set was kept: rebuild the set from its webhooks, once;
        // then give back slots whose webhook is gone (a failed undo or release), once.
        if (attempt === 0 && (await this.migrateCount(workspaceId))) continue;
        if (attempt < 2 && (await this.reconcileSlots(workspaceId))) continue;
        throw new LimitExceededError(`A workspace can hold at most ${maxPerWorkspace} webhooks`);
      }
    }
  }

  /** Replaces a legacy `webhook_count` with the set of the webhooks that exist; false if there was none. */
  private async migrateCount(workspaceId: string): Promise<boolean> {
    const meta = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
        ConsistentRead: true,
      }),
    );
    if (meta.Item?.webhook_count === undefined || meta.Item.webhook_ids !== undefined) return false;
    const ids = (await this.list(workspaceId)).map((webhook) => webhook.id);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
          UpdateExpression:
            ids.length > 0 ? 'SET webhook_ids = :ids REMOVE webhook_count' : 'REMOVE webhook_count',
          ConditionExpression: 'attribute_not_exists(webhook_ids)',
          ...(ids.length > 0 ? { ExpressionAttributeValues: { ':ids': new Set(ids) } } : {}),
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    return true;
  }

  /**
   * Drops ids from the set that name no webhook, should a create's undo or a delete's release have
   * failed; true when there were any. Only run when the limit blocks a create. (A create of the same
   * workspace between taking its slot and writing its webhook at that very moment could lose its slot
   * here and so exceed the limit by one: a rare, harmless overshoot, never a refusal in error.)
   */
  private async reconcileSlots(workspaceId: string): Promise<boolean> {
    const meta = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
        ConsistentRead: true,
      }),
    );
    const slots = [...((meta.Item?.webhook_ids as Set<string> | undefined) ?? [])];
    const existing = new Set((await this.list(workspaceId)).map((webhook) => webhook.id));
    const stale = slots.filter((id) => !existing.has(id));
    if (stale.length === 0) return false;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
        UpdateExpression: 'DELETE webhook_ids :stale',
        ExpressionAttributeValues: { ':stale': new Set(stale) },
      }),
    );
    return true;
  }

  private async undoCreate(record: WebhookRecord): Promise<void> {
    // Only our own write (should it have landed after all), never a webhook someone else made.
    await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { workspace_id: record.workspace_id, id: record.id },
        ConditionExpression: 'attribute_not_exists(id) OR secret_ciphertext = :own',
        ExpressionAttributeValues: { ':own': record.secret_ciphertext },
      }),
    );
    await this.releaseSlot(record.workspace_id, record.id);
  }

  /** Gives the webhook's slot back; nothing when it holds none (nothing written, nothing made). */
  private async releaseSlot(workspaceId: string, id: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workspace_id: workspaceId, id: WORKSPACE_ITEM },
          UpdateExpression: 'DELETE webhook_ids :id',
          ConditionExpression: 'contains(webhook_ids, :one)',
          ExpressionAttributeValues: { ':id': new Set([id]), ':one': id },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
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

  /**
   * Found, then deleted unconditionally and its slot released: every step is idempotent, so a retry
   * of a delete whose answer was lost still succeeds (and still frees the slot).
   */
  async delete(workspaceId: string, id: string): Promise<boolean> {
    if (!(await this.get(workspaceId, id))) {
      // A retry of a delete whose release failed finds no webhook: its slot still goes (a no-op else).
      if (!id.startsWith('#')) await this.releaseSlot(workspaceId, id);
      return false;
    }
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { workspace_id: workspaceId, id } }));
    await this.releaseSlot(workspaceId, id);
    return true;
  }
}
