import { SQSClient } from '@aws-sdk/client-sqs';

/** One SQS client per container, with an explicit endpoint for the local stack. */
export function createSqsClient(endpoint?: string): SQSClient {
  return new SQSClient(endpoint ? { endpoint, maxAttempts: 3 } : { maxAttempts: 3 });
}
