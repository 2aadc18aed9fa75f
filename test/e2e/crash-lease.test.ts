import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { expiresAt } from '../../functions/core/deliveries.ts';
import { eventKeyFor } from '../../functions/core/ids.ts';
import { ensureReceiverCertificate } from '../../local/certificates.ts';
import { apiClient, eventually, startStack, tempDataDir } from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

const run = promisify(execFile);

/**
 * A run that died while fanning an event out leaves its claim's lease behind. A copy of the event that
 * finds it waits for the lease's remaining time only — never the queue's 180 s visibility timeout.
 */
describe('crash recovery of fan-out', () => {
  it('delivers an event a dead run held once its lease ends, in seconds', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    const url = receiver.on('/leased', () => ({ status: 200 }));
    const stack = await startStack({ dataDir });
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stack.info.dynamodb_endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    try {
      const api = apiClient(stack.info);
      expect((await api('POST', '/api/webhooks', { url, events: ['lookup.completed'] })).status).toBe(201);
      const eventId = `lease-${Date.now()}`;
      const workspaceId = stack.info.workspace_id;
      // The claim a run that was killed mid-fan-out leaves: its lease runs 6 more seconds.
      const now = Date.now();
      const leaseUntil = now + 6000;
      await db.send(
        new PutCommand({
          TableName: stack.info.tables.events,
          Item: {
            workspace_id: workspaceId,
            id: `k#${eventId}`,
            event_key: eventKeyFor(now, workspaceId, eventId),
            received_at: new Date(now).toISOString(),
            lease_until: leaseUntil,
            expires_at: expiresAt(now),
          },
        }),
      );
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
      db.destroy();
      await stack.stop();
      await receiver.stop();
    }
  }, 120_000);
});
