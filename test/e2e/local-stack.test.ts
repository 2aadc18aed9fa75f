import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ensureReceiverCertificate } from '../../local/certificates.ts';
import {
  apiClient,
  eventually,
  startExpectingFailure,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

const run = promisify(execFile);

/** `npm start` from the outside (contract §6): configuration errors, READY, persistence, shutdown, recovery. */
describe('the local stack', () => {
  describe('bad configuration ends with one clear sentence and a non-zero exit', () => {
    it.each([
      [
        'a malformed PORT',
        { PORT: 'eighty' },
        /^PORT must be a whole number between 0 and 65535 \(got "eighty"\)\.$/,
      ],
      [
        'a malformed ENCRATA_DEV_API_KEY',
        { ENCRATA_DEV_API_KEY: 'enc_live_short' },
        /^ENCRATA_DEV_API_KEY must be enc_live_ followed by 32 letters or digits/,
      ],
      [
        'an unwritable data directory',
        { ENCRATA_DATA_DIR: '/dev/null/encrata' },
        /^ENCRATA_DATA_DIR "\/dev\/null\/encrata" is not a writable directory/,
      ],
      ['a malformed retry schedule', { ENCRATA_RETRY_SCHEDULE: '5,soon' }, /^ENCRATA_RETRY_SCHEDULE: /],
    ])('%s', async (_name, env, message) => {
      const { code, stderr } = await startExpectingFailure(env);
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(stderr).not.toMatch(/\bat \S+ \(/); // no stack trace
    });

    it('a port already in use', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        const { code, stderr } = await startExpectingFailure({ PORT: String(port) });
        expect(code).toBe(1);
        expect(stderr.trim()).toBe(`Port ${port} is already in use; set PORT to a free port.`);
      } finally {
        blocker.close();
      }
    });
  });

  it('prints READY, answers health and unknown routes, keeps data across restarts and shuts down cleanly', async () => {
    const dataDir = tempDataDir();
    const first = await startStack({ dataDir });
    const info = first.info;
    for (const field of [
      'api_url',
      'workspace_id',
      'api_key',
      'sqs_endpoint',
      'events_queue_url',
      'dynamodb_endpoint',
    ]) {
      expect(info).toHaveProperty(field);
    }
    expect(info.api_key).toMatch(/^enc_live_[A-Za-z0-9]{32}$/);
    expect(JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'))).toEqual(info);
    const health = await fetch(`${info.api_url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`${info.api_url}/api/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'route_not_found', error: expect.any(String) });

    const api = apiClient(info);
    const created = await api('POST', '/api/webhooks', {
      url: 'https://127.0.0.1:9/kept',
      events: ['credits.low'],
    });
    expect(created.status).toBe(201);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);

    const second = await startStack({ dataDir });
    try {
      expect(second.info.api_key).toBe(info.api_key);
      const secondApi = apiClient(second.info);
      const list = await secondApi('GET', '/api/webhooks');
      expect(list.json.map((w: { id: string }) => w.id)).toEqual([created.json.id]);
      // Revoke the dev key itself: the next start must not print a key that gets 401.
      const [devKey] = (await secondApi('GET', '/api/keys')).json.keys;
      expect((await secondApi('DELETE', `/api/keys?id=${devKey.id}`)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }

    const third = await startStack({ dataDir });
    try {
      expect(third.info.api_key).not.toBe(info.api_key);
      expect((await apiClient(third.info)('GET', '/api/webhooks')).status).toBe(200);
    } finally {
      await third.stop();
    }
  }, 60_000);

  it('loses nothing when killed in the middle of a batch', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    let calls = 0;
    // The first attempt hangs until the stack is killed; after the restart it succeeds.
    const url = receiver.on('/slow', () =>
      ++calls === 1 ? { status: 200, delayMs: 4000 } : { status: 200 },
    );
    const stack = await startStack({ dataDir });
    const api = apiClient(stack.info);
    const hook = (await api('POST', '/api/webhooks', { url, events: ['lookup.completed'] })).json;
    await run(
      process.execPath,
      ['scripts/publish.ts', 'lookup.completed', '{"email":"k@b.c","lookup_id":"lu_kill"}'],
      {
        env: { ...process.env, ENCRATA_DATA_DIR: dataDir },
      },
    );
    await eventually(async () => (receiver.received('/slow').length === 1 ? true : undefined));
    await stack.stop('SIGKILL');

    const restarted = await startStack({ dataDir });
    try {
      const delivered = await eventually(async () => {
        const list = (
          await apiClient(restarted.info)('GET', `/api/webhooks/deliveries?webhook_id=${hook.id}`)
        ).json;
        return list[0]?.status === 'success' ? list[0] : undefined;
      }, 20_000);
      expect(receiver.received('/slow').length).toBeGreaterThanOrEqual(2);
      expect(new Set(receiver.received('/slow').map((r) => r.headers['x-encrata-delivery']))).toEqual(
        new Set([delivered.id]),
      );
    } finally {
      await restarted.stop();
      await receiver.stop();
    }
  }, 60_000);

  it('refuses loopback receivers at connect time without the local switch, and redrives what gave up', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    const url = receiver.on('/guarded', () => ({ status: 200 }));
    // Created while private targets are allowed (the create-time check would refuse it otherwise).
    const open = await startStack({ dataDir });
    const hook = (await apiClient(open.info)('POST', '/api/webhooks', { url, events: ['credits.low'] })).json;
    await open.stop();

    const guarded = await startStack({ dataDir, env: { ENCRATA_ALLOW_PRIVATE_TARGETS: '0' } });
    const api = apiClient(guarded.info);
    try {
      const test = await api('POST', '/api/webhooks/test', { id: hook.id });
      expect(test.json).toMatchObject({ status: 'failed', status_code: null });
      expect(test.json.error).toMatch(/^refused: /);
      expect((await api('POST', '/api/webhooks', { url, events: ['credits.low'] })).status).toBe(400);
      const localhostUrl = url.replace('127.0.0.1', 'localhost');
      expect(
        (await api('POST', '/api/webhooks', { url: localhostUrl, events: ['credits.low'] })).status,
      ).toBe(400);

      await run(process.execPath, ['scripts/publish.ts', 'credits.low', '{"balance":1,"threshold":5}'], {
        env: { ...process.env, ENCRATA_DATA_DIR: dataDir },
      });
      const failed = await eventually(async () => {
        const list = (await api('GET', `/api/webhooks/deliveries?webhook_id=${hook.id}&status=failed`)).json;
        return list.find((d: { event_type: string }) => d.event_type === 'credits.low');
      }, 20_000);
      expect(failed).toMatchObject({ attempts: 3, response_status: null });
      expect(failed.error).toMatch(/^refused: /);
      expect(receiver.received('/guarded')).toHaveLength(0);
    } finally {
      await guarded.stop();
    }

    // Back with the switch on, the redrive gives the dead-lettered delivery one more attempt.
    const redriven = await startStack({ dataDir });
    try {
      const { stdout } = await run(process.execPath, ['scripts/redrive.ts'], {
        env: { ...process.env, ENCRATA_DATA_DIR: dataDir },
      });
      expect(stdout.trim()).toBe('moved 1 message(s)');
      const success = await eventually(async () => {
        const list = (await apiClient(redriven.info)('GET', `/api/webhooks/deliveries?webhook_id=${hook.id}`))
          .json;
        return list.find(
          (d: { event_type: string; status: string }) =>
            d.event_type === 'credits.low' && d.status === 'success',
        );
      }, 20_000);
      expect(success.attempts).toBe(4);
      expect(receiver.received('/guarded')).toHaveLength(1);
    } finally {
      await redriven.stop();
      await receiver.stop();
    }
  }, 90_000);

  it('stops pending retries when a webhook is paused or deleted', async () => {
    const dataDir = tempDataDir();
    const tls = await ensureReceiverCertificate(dataDir);
    const receiver = await new TestReceiver(tls).start();
    const stack = await startStack({ dataDir, env: { ENCRATA_RETRY_SCHEDULE: '2,2,2' } });
    const api = apiClient(stack.info);
    try {
      const pausedUrl = receiver.on('/to-pause', () => ({ status: 500 }));
      const deletedUrl = receiver.on('/to-delete', () => ({ status: 500 }));
      const paused = (await api('POST', '/api/webhooks', { url: pausedUrl, events: ['credits.low'] })).json;
      const deleted = (await api('POST', '/api/webhooks', { url: deletedUrl, events: ['credits.low'] })).json;
      await run(process.execPath, ['scripts/publish.ts', 'credits.low', '{"balance":1,"threshold":5}'], {
        env: { ...process.env, ENCRATA_DATA_DIR: dataDir },
      });
      await eventually(async () =>
        receiver.received('/to-pause').length >= 1 && receiver.received('/to-delete').length >= 1
          ? true
          : undefined,
      );
      const pausedDelivery = (await api('GET', `/api/webhooks/deliveries?webhook_id=${paused.id}`)).json[0];
      // Paused and at once resumed: the retry that was waiting stays stopped (contract §3).
      await api('PUT', '/api/webhooks', { id: paused.id, url: pausedUrl, is_active: false });
      await api('PUT', '/api/webhooks', { id: paused.id, url: pausedUrl, is_active: true });
      expect((await api('DELETE', '/api/webhooks', { id: deleted.id })).status).toBe(204);
      const stopped = await eventually(async () => {
        const list = (await api('GET', `/api/webhooks/deliveries?webhook_id=${paused.id}`)).json;
        return list[0]?.status === 'failed' ? list[0] : undefined;
      });
      expect(stopped).toMatchObject({ id: pausedDelivery.id, error: 'webhook paused', attempts: 1 });
      // The deleted webhook's retry leaves no row (its log went with it): wait until the deliveries
      // queue holds nothing, waiting or in flight — every retry was processed — then count.
      const sqs = new SQSClient({
        endpoint: stack.info.sqs_endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        await eventually(async () => {
          const res = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: stack.info.deliveries_queue_url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          const a = res.Attributes ?? {};
          return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0'
            ? true
            : undefined;
        });
      } finally {
        sqs.destroy();
      }
      expect(receiver.received('/to-pause')).toHaveLength(1);
      expect(receiver.received('/to-delete')).toHaveLength(1);
    } finally {
      await stack.stop();
      await receiver.stop();
    }
  }, 60_000);
});
