import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsSender } from '../../functions/adapters/http/sender.ts';
import { type DispatchPorts, dispatchBatch, type ReceivedDelivery } from '../../functions/core/dispatch.ts';
import { deliveryIdFor, eventKeyFor } from '../../functions/core/ids.ts';
import type { DeliveryMessage } from '../../functions/core/records.ts';
import { createLocalCertificate } from '../../local/certificates.ts';
import { answer, HostileReceiver } from '../support/hostile-receiver.ts';
import {
  FakeDeliveryLog,
  FakeEventStore,
  FakePublisher,
  FakeQueueControl,
  FakeRateLimiter,
  FakeWebhookStore,
  SECRET,
  WORKSPACE,
  webhookRecord,
} from '../unit/support/fakes.ts';

/**
 * One dispatcher batch through the real sender, with a receiver that answers 101 and one that
 * never answers next to a healthy one: the batch ends by itself, every message with its own
 * outcome, and the healthy receiver is not made to wait for the bad ones.
 */
const BUDGET_MS = 500;

describe('a dispatcher batch with hostile receivers in it', () => {
  let receiver: HostileReceiver;
  let sender: HttpsSender;
  const events: string[] = [];

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    const caFile = join(tmpdir(), `sender-batch-${process.pid}.pem`);
    writeFileSync(caFile, tls.cert);
    receiver = await new HostileReceiver(tls).start();
    sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile, timeoutMs: BUDGET_MS });
  });

  afterAll(async () => {
    sender.close();
    await receiver.stop();
  });

  function received(webhookId: string, url: string, now: number): ReceivedDelivery {
    const createdAt = new Date(now).toISOString();
    const eventKey = eventKeyFor(now, WORKSPACE, `evt_${webhookId}`);
    const message: DeliveryMessage = {
      workspace_id: WORKSPACE,
      webhook_id: webhookId,
      delivery_id: deliveryIdFor(eventKey, WORKSPACE, webhookId),
      event_type: 'lookup.completed',
      event_key: eventKey,
      event_id: `evt_${webhookId}`,
      created_at: createdAt,
      queued_at: now,
      body: `{"event":"lookup.completed","data":{"email":"a@b.c","lookup_id":"${webhookId}"},"created_at":"${createdAt}"}`,
      webhook: { url, secret_ciphertext: 'ciphertext', updated_at: createdAt },
    };
    return { message, messageId: `m_${webhookId}`, handle: `r_${webhookId}`, receiveCount: 1 };
  }

  it('ends every attempt of the batch, and the healthy one is not held up by the others', async () => {
    const hang = receiver.on('/hang', () => {});
    const upgrade = receiver.on('/upgrade', (socket) =>
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
    );
    const healthy = receiver.on('/healthy', (socket) => {
      events.push('healthy answered');
      socket.write(answer(200, 'ok'));
    });
    const urls = { wh_hang: hang, wh_upgrade: upgrade, wh_healthy: healthy };
    const ports = {
      webhooks: new FakeWebhookStore(Object.entries(urls).map(([id, url]) => webhookRecord({ id, url }))),
      events: new FakeEventStore(),
      log: new FakeDeliveryLog(),
      secrets: async () => SECRET,
      sender: {
        send: async (request: Parameters<HttpsSender['send']>[0]) => {
          const outcome = await sender.send(request);
          events.push(`${new URL(request.url).pathname} ended`);
          return outcome;
        },
      },
      queue: new FakeQueueControl(),
      rateLimiter: new FakeRateLimiter(),
      publisher: new FakePublisher(),
    } satisfies DispatchPorts;
    const now = Date.now();
    const results = await dispatchBatch(
      ports,
      Object.entries(urls).map(([id, url]) => received(id, url, now)),
      {
        schedule: [5, 300],
        now: Date.now,
        random: () => 0.5,
        maxReceives: 9,
        autoDisableAfterMs: 86_400_000,
      },
    );

    expect(results.map(({ messageId, outcome, row }) => ({ messageId, outcome, error: row?.error }))).toEqual(
      [
        {
          messageId: 'm_wh_hang',
          outcome: 'retry',
          error: `timeout: no complete answer within ${BUDGET_MS} ms`,
        },
        {
          messageId: 'm_wh_upgrade',
          outcome: 'retry',
          error: 'receiver answered 101 Switching Protocols, not an answer',
        },
        { messageId: 'm_wh_healthy', outcome: 'delivered', error: undefined },
      ],
    );
    // Attempts run side by side: the healthy receiver answered before the hanging one ran out of time.
    expect(events.indexOf('healthy answered')).toBeLessThan(events.indexOf('/hang ended'));
    expect(ports.queue.hidden.map((item) => item.handle).sort()).toEqual(['r_wh_hang', 'r_wh_upgrade']);
  });
});
