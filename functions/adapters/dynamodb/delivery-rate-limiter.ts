import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRateLimiter } from '../../core/ports.ts';

/**
 * Per-webhook delivery rate limits: one counter per webhook and second in the rate-limits table,
 * incremented atomically, so every dispatcher container shares it — exact within each second (at
 * most `perSecond` sends per second window; twice that can fall across one window's edge). Over
 * the limit, a delivery waits in proportion to how far over it is, so a burst spreads over the
 * seconds it needs instead of coming back all at once.
 */
export class DynamoDeliveryRateLimiter implements DeliveryRateLimiter {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async take(webhookId: string, perSecond: number, nowMs: number) {
    const second = Math.floor(nowMs / 1000);
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { bucket: `webhook#${webhookId}#${second}` },
        UpdateExpression: 'ADD request_count :one SET expires_at = :expires',
        ExpressionAttributeValues: { ':one': 1, ':expires': second + 120 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(result.Attributes?.request_count ?? 1);
    if (count <= perSecond) return { ok: true } as const;
    return { ok: false, waitSeconds: Math.max(1, Math.ceil((count - perSecond) / perSecond)) } as const;
  }
}
