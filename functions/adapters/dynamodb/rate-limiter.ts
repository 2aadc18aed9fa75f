import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter, RateLimitRule, RateLimitState } from '../../core/ports.ts';
import { admitsUpTo, emissionIntervalMs, rateLimitState } from '../../core/rate-limit.ts';
import { isConditionalCheckFailed } from './client.ts';

/**
 * The GCRA of core/rate-limit.ts in DynamoDB: one item per subject holding `tat` (epoch ms), moved
 * only by conditional updates, so the limit holds across any number of concurrent Lambda containers:
 *
 * 1. idle (no `tat`, or `tat` already past): set it to now + one interval — always admitted;
 * 2. otherwise, if `tat` leaves room (≤ now + period − interval): add one interval — admitted;
 * 3. otherwise refused, and nothing is written (a client hammering a refused budget does not dig it
 *    deeper); the item is read for `Retry-After`.
 *
 * Items expire (TTL) once their budget would be whole again anyway.
 */
export class DynamoRateLimiter implements RateLimiter {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async hit(subject: string, nowMs: number, rule: RateLimitRule): Promise<RateLimitState> {
    const key = { bucket: `gcra#${subject}` };
    const interval = emissionIntervalMs(rule);
    // tat never exceeds now + period, so the item is useless a period after now.
    const expires = Math.ceil(nowMs / 1000) + 2 * rule.periodSeconds;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET tat = :tat, expires_at = :expires',
          ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
          ExpressionAttributeValues: { ':tat': nowMs + interval, ':now': nowMs, ':expires': expires },
        }),
      );
      return rateLimitState(nowMs + interval, nowMs, rule, false);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET tat = tat + :interval, expires_at = :expires',
          ConditionExpression: 'tat <= :max',
          ExpressionAttributeValues: {
            ':interval': interval,
            ':max': admitsUpTo(nowMs, rule),
            ':expires': expires,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return rateLimitState(Number(result.Attributes?.tat), nowMs, rule, false);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const stored = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return rateLimitState(Number(stored.Item?.tat ?? nowMs), nowMs, rule, true);
  }
}
