import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One document client per container, with an explicit endpoint for the local stack. */
export function createDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient(endpoint ? { endpoint, maxAttempts: 3 } : { maxAttempts: 3 });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** A query's LastEvaluatedKey as an opaque page token (and back). */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : null;
}

export function decodeCursor(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The sort key (`id`) a query got to: its LastEvaluatedKey's, or its last item's. */
export function positionOf(
  lastKey: Record<string, unknown> | undefined,
  items: Record<string, unknown>[] | undefined,
): string | null {
  const key = lastKey?.id ?? items?.at(-1)?.id;
  return typeof key === 'string' ? key : null;
}
