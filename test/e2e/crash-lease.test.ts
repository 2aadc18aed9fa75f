import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { expiresAt } from '../../functions/core/deliveries.ts';
import { eventKeyFor } from '../../functions/core/ids.ts';
import { ensureReceiverCertificate } from '../../local/certificates.ts';
import { apiClient, eventually, type StackInfo, startStack, tempDataDir } from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

const run = promisify(execFile);

/**
 * A run that died while fanning an event out leaves its claim's lease behind. A copy of the event that
 * finds it waits for the lease's remaining time only — never the queue's 180 s visibility timeout.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Leaves the claim a run killed mid-fan-out would: its lease runs `leaseMs` more. */
async function leftByDeadRun(info: StackInfo, eventId: string, leaseMs: number): Promise<number> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: info.dynamodb_endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  const now = Date.now();
  try {
    await db.send(
      new PutCommand({
        TableName: info.tables.events,
        Item: {
          workspace_id: info.workspace_id,
          id: `k#${eventId}`,
          event_key: eventKeyFor(now, info.workspace_id, eventId),
          received_at: new Date(now).toISOString(),
          lease_until: now + leaseMs,
          expires_at: expiresAt(now),
        },
      }),
    );
  } finally {
    db.destroy();
  }
  return now + leaseMs;
}

describe('crash recovery of fan-out', () => {
  it('delivers an event a dead run held once its lease ends, in seconds', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    const url = receiver.on('/leased', () => ({ status: 200 }));
    const stack = await startStack({ dataDir });
    try {
      const api = apiClient(stack.info);
      expect((await api('POST', '/api/webhooks', { url, events: ['lookup.completed'] })).status).toBe(201);
      const eventId = `lease-${Date.now()}`;
      // The claim a run that was killed mid-fan-out leaves: its lease runs 6 more seconds.
      const leaseUntil = await leftByDeadRun(stack.info, eventId, 6000);
      await run(
        process.execPath,
        [
          'scripts/publish.ts',
          'lookup.completed',
          '{"email":"l@b.c","lookup_id":"lu_lease"}',
          '--id',
          eventId,
        ],
        { env: { ...process.env, ENCRATA_DATA_DIR: dataDir } },
      );
      // Waiting out the queue's visibility timeout would take 180 s: this gives up at 90.
      const request = await eventually(async () => receiver.received('/leased')[0], 90_000);
      // Not before the lease ended: the live run's copy is left alone while it holds it.
      expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil);
      expect(request?.headers['x-encrata-event']).toBe('lookup.completed');
    } finally {
      await stack.stop();
      await receiver.stop();
    }
  }, 120_000);

  it('after a SIGKILL, an event that was waiting out a lease resumes when the lease ends', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    const url = receiver.on('/killed', () => ({ status: 200 }));
    const first = await startStack({ dataDir });
    const eventId = `killed-${Date.now()}`;
    let leaseUntil = 0;
    try {
      expect(
        (await apiClient(first.info)('POST', '/api/webhooks', { url, events: ['lookup.completed'] })).status,
      ).toBe(201);
      leaseUntil = await leftByDeadRun(first.info, eventId, 25_000);
      await run(
        process.execPath,
        [
          'scripts/publish.ts',
          'lookup.completed',
          '{"email":"k@b.c","lookup_id":"lu_killed"}',
          '--id',
          eventId,
        ],
        { env: { ...process.env, ENCRATA_DATA_DIR: dataDir } },
      );
      // Fan-out found the lease and hid its copy until the lease ends: in flight, then killed.
      const sqs = new SQSClient({
        endpoint: first.info.sqs_endpoint,
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
      });
      try {
        await eventually(async () => {
          const attributes = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: first.info.events_queue_url,
              AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          return attributes.Attributes?.ApproximateNumberOfMessagesNotVisible === '1' ? true : undefined;
        });
      } finally {
        sqs.destroy();
      }
    } finally {
      await first.stop('SIGKILL');
    }
    const restarted = await startStack({ dataDir });
    try {
      // The queue's visibility timeout would hold it 180 s: this gives up at 90.
      const request = await eventually(async () => receiver.received('/killed')[0], 90_000);
      expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil);
      expect(request?.headers['x-encrata-event']).toBe('lookup.completed');
    } finally {
      await restarted.stop();
      await receiver.stop();
    }
  }, 150_000);
});
