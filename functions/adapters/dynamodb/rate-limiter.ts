import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter, RateLimitState } from '../../core/ports.ts';
import { RATE_LIMIT_WINDOW_SECONDS, rateLimitWindowStart } from '../../core/rate-limit.ts';

/**
 * Fixed one-minute windows counted in DynamoDB with an atomic ADD, so the limit holds across
 * any number of concurrent Lambda containers. Counter items expire (TTL) shortly after their window.
 */
export class DynamoRateLimiter implements RateLimiter {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async hit(subject: string, nowMs: number, limitPerMinute: number): Promise<RateLimitState> {
    const windowStart = rateLimitWindowStart(nowMs);
    const resetAt = windowStart + RATE_LIMIT_WINDOW_SECONDS;
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { bucket: `${subject}#${windowStart}` },
        UpdateExpression: 'ADD request_count :one SET expires_at = :expires',
        ExpressionAttributeValues: { ':one': 1, ':expires': resetAt + RATE_LIMIT_WINDOW_SECONDS },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(result.Attributes?.request_count ?? 1);
    return {
      limit: limitPerMinute,
      remaining: Math.max(0, limitPerMinute - count),
      resetAt,
      exceeded: count > limitPerMinute,
    };
  }
}
