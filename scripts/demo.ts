/**
 * `npm run demo`: the README's two-terminal flow in one command. It uses the local stack running in
 * ENCRATA_DATA_DIR (or starts one, allowed to deliver to this machine, with the same ENCRATA_DATA_DIR
 * and PORT), starts an HTTPS receiver with the data directory's certificate, creates a webhook
 * pointing at it, publishes `lookup.completed`, and shows the delivery arriving verified and recorded
 * as `success`. The webhook is deleted at the end unless --keep. Exit code 0 when all of that worked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createEventPublisher } from '../functions/publisher.ts';
import { ensureReceiverCertificate } from '../local/certificates.ts';
import { apiErrorText, callApi, fail, findLocalStack, type StackInfoIn } from './stack-info.ts';
import { verifyDelivery } from './verify.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
/** Contract §3: a webhook change applies to events published from 2 s after its response on. */
const CHANGE_PROPAGATION_MS = 2000;
const WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startStack(): Promise<{ stack: StackInfoIn; child: ChildProcess }> {
  console.log('No local stack is running here: starting one (ENCRATA_ALLOW_PRIVATE_TARGETS=1)…');
  const child = spawn(process.execPath, ['local/start.ts'], {
    env: { ...process.env, ENCRATA_ALLOW_PRIVATE_TARGETS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no READY line within 60 s')), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`it exited (${code}): ${errors.join('').trim()}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      if (text.startsWith('READY ')) {
        clearTimeout(timer);
        resolve(text.slice('READY '.length));
      }
    });
  }).catch((error: Error) => fail(`The local stack could not start: ${error.message}`));
  const found = findLocalStack();
  if ('missing' in found) fail(`The local stack printed READY but: ${found.missing} (${line})`);
  return { stack: found.stack, child };
}

async function main(): Promise<boolean> {
  // The SDK wants a region and credentials even for the emulators; real ones are never needed here.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const found = findLocalStack();
  const started = 'stack' in found ? undefined : await startStack();
  const stack = 'stack' in found ? found.stack : (started as { stack: StackInfoIn }).stack;
  console.log(`Local stack: ${stack.api_url} (data in ${found.dataDir})`);
  const received: { delivery: string; verified: boolean; body: string }[] = [];
  let secret = '';
  const certificate = await ensureReceiverCertificate(found.dataDir);
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v ?? '')]));
      const result = verifyDelivery([secret], body, headers);
      received.push({
        delivery: headers['x-encrata-delivery'] ?? '',
        verified: result.encrata === 0 && result.standard === 0,
        body,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  let webhookId: string | undefined;
  try {
    console.log(`Receiver:    ${url} (certificate ${certificate.certFile})`);
    const created = await callApi(stack, 'POST', '/api/webhooks', {
      url,
      events: ['lookup.completed'],
      description: 'npm run demo',
    });
    const webhook = z.object({ id: z.string(), secret: z.string() }).safeParse(created.json);
    if (created.status !== 201 || !webhook.success) {
      console.error(`Could not create the webhook (${created.status}): ${apiErrorText(created.json)}`);
      return false;
    }
    webhookId = webhook.data.id;
    secret = webhook.data.secret;
    console.log(`Webhook:     ${webhookId} (its secret verifies what arrives)`);
    await sleep(CHANGE_PROPAGATION_MS);
    const publisher = createEventPublisher({
      queueUrl: stack.events_queue_url,
      endpoint: stack.sqs_endpoint,
    });
    const { id: eventId } = await publisher.publishEvent({
      workspaceId: stack.workspace_id,
      event: 'lookup.completed',
      data: { email: 'demo@example.com', lookup_id: `lu_demo_${Date.now()}` },
    });
    console.log(`Published:   lookup.completed (event ${eventId})`);
    const deadline = Date.now() + WAIT_MS;
    let delivery:
      | { id: string; status: string; attempts: number; response_status: number | null }
      | undefined;
    while (Date.now() < deadline) {
      const listed = await callApi(stack, 'GET', `/api/webhooks/deliveries?webhook_id=${webhookId}`);
      const rows = z
        .array(
          z.object({
            id: z.string(),
            status: z.string(),
            attempts: z.number(),
            response_status: z.number().nullable(),
          }),
        )
        .safeParse(listed.json);
      delivery = rows.success ? rows.data[0] : undefined;
      if (delivery?.status === 'success' && received.length > 0) break;
      await sleep(200);
    }
    const arrived = received[0];
    if (!arrived) {
      console.error(
        `Nothing arrived within ${WAIT_MS / 1000} s; the delivery is ${JSON.stringify(delivery)}.`,
      );
      return false;
    }
    console.log(
      `Received:    delivery ${arrived.delivery}, signatures ${arrived.verified ? 'valid' : 'INVALID'}`,
    );
    console.log(`             ${arrived.body}`);
    console.log(
      `Recorded:    ${delivery ? `${delivery.status}, ${delivery.attempts} attempt(s), HTTP ${delivery.response_status}` : 'not listed'}`,
    );
    return arrived.verified && delivery?.status === 'success' && delivery.id === arrived.delivery;
  } finally {
    if (webhookId && !values.keep) await callApi(stack, 'DELETE', '/api/webhooks', { id: webhookId });
    server.close();
    server.closeAllConnections();
    if (started) {
      started.child.kill('SIGTERM');
      if (started.child.exitCode === null) await once(started.child, 'exit');
    }
  }
}

main().then(
  (ok) => {
    console.log(ok ? '\nThe demo worked: delivered, verified, recorded.' : '\nThe demo failed.');
    process.exit(ok ? 0 : 1);
  },
  (error: unknown) => fail(`The demo failed: ${(error as Error).message}`),
);
