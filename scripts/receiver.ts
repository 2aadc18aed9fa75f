/**
 * `npm run receiver`: a local HTTPS webhook receiver that verifies every delivery (Encrata's
 * signature and the Standard Webhooks headers) and prints it. Its certificate lives in the local
 * stack's data directory (ENCRATA_DATA_DIR, resolved as `npm start` resolves it), which the stack
 * trusts, so a newcomer can watch the whole flow:
 *
 *   terminal 1: ENCRATA_ALLOW_PRIVATE_TARGETS=1 npm start
 *   terminal 2: npm run receiver -- --create     (creates a webhook pointing here and verifies with its secret)
 *
 * Options: --port (default 4443; 0 picks a free one), --status (answer with this status, default 200),
 * --create (create a webhook on the running local stack pointing at this receiver, subscribed to
 * --events, default lookup.completed, and verify with its secret), --secret (or ENCRATA_WEBHOOK_SECRET;
 * without it or --create signatures are shown but not verified; give it twice during a secret
 * rotation — the new secret and the previous one — and each delivery says which one verified).
 */

import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ensureReceiverCertificate } from '../local/certificates.ts';
import { apiErrorText, callApi, fail, findLocalStack } from './stack-info.ts';
import { verifyDelivery } from './verify.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4443' },
    secret: { type: 'string', multiple: true },
    status: { type: 'string', default: '200' },
    create: { type: 'boolean', default: false },
    events: { type: 'string', default: 'lookup.completed' },
  },
});
const port = Number(values.port);
if (!/^\d{1,5}$/.test(values.port) || port > 65535)
  fail('--port must be a whole number between 0 and 65535.');
const status = Number(values.status);
if (!/^[1-5]\d\d$/.test(values.status)) fail('--status must be an HTTP status code (100-599).');
const secrets = values.secret?.length
  ? values.secret
  : (process.env.ENCRATA_WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
if (secrets.length > 2) {
  console.error('Give --secret at most twice: the new secret and, during a rotation, the previous one.');
  process.exit(2);
}
const found = findLocalStack();
const stack = 'stack' in found ? found.stack : undefined;
if (values.create && !stack)
  fail(`--create needs the running local stack. ${'missing' in found ? found.missing : ''}`);

const which = (index: number | null) =>
  index === null
    ? 'INVALID'
    : secrets.length > 1
      ? `valid (${index === 0 ? 'first' : 'second'} --secret)`
      : 'valid';

const certificate = await ensureReceiverCertificate(found.dataDir);
const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => String(req.headers[name] ?? '');
    let verdict = 'not verified (no --secret given)';
    if (secrets.length > 0) {
      const headers = Object.fromEntries(Object.keys(req.headers).map((name) => [name, header(name)]));
      const result = verifyDelivery(secrets, body, headers);
      verdict = `X-Encrata-Signature ${which(result.encrata)}, Standard Webhooks ${which(result.standard)}`;
    }
    console.log(
      `\n${new Date().toISOString()} ${req.method} ${req.url}\n` +
        `  event:    ${header('x-encrata-event')}\n  delivery: ${header('x-encrata-delivery')}\n` +
        `  verified: ${verdict}\n  body:     ${body}`,
    );
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received: true }));
  });
});
server.listen(port, '127.0.0.1', async () => {
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  console.log(`Receiving webhooks at ${url}`);
  console.log(
    stack
      ? `Certificate: ${certificate.certFile} (the local stack in ${found.dataDir} trusts it)`
      : `Certificate: ${certificate.certFile}. No local stack is running in ${found.dataDir}: ` +
          'a stack trusts only the certificate of its own data directory, so start it there ' +
          '(or export the ENCRATA_DATA_DIR it runs with) before sending.',
  );
  if (values.create && stack) {
    const events = values.events.split(',').map((event) => event.trim());
    const created = await callApi(stack, 'POST', '/api/webhooks', { url, events });
    const webhook = created.json as { id?: string; secret?: string };
    if (created.status !== 201 || !webhook.id || !webhook.secret) {
      server.close();
      fail(`Could not create the webhook: ${apiErrorText(created.json)}`);
    }
    secrets.unshift(webhook.secret);
    if (secrets.length > 2) secrets.length = 2;
    console.log(
      `Created webhook ${webhook.id} for ${events.join(', ')}; deliveries are verified with its secret.\n` +
        `Publish from another terminal:  npm run publish -- lookup.completed '{"email":"a@b.c","lookup_id":"lu_1"}'\n` +
        `Its deliveries:                 curl -s "${stack.api_url}/api/webhooks/deliveries?webhook_id=${webhook.id}" -H "Authorization: Bearer $ENCRATA_API_KEY"`,
    );
    return;
  }
  const apiUrl = stack?.api_url ?? `http://127.0.0.1:${process.env.PORT || 3000}`;
  console.log(
    `Create a webhook pointing here (or restart with --create):\n  curl -s -X POST ${apiUrl}/api/webhooks \\\n` +
      `    -H "Authorization: Bearer $ENCRATA_API_KEY" -H 'Content-Type: application/json' \\\n` +
      `    -d '{"url":"${url}","events":["lookup.completed"]}'`,
  );
});
server.on('error', (error: NodeJS.ErrnoException) =>
  fail(
    error.code === 'EADDRINUSE'
      ? `Port ${port} is already in use; pass --port with another (0 picks a free one).`
      : `The receiver could not start: ${error.message}.`,
  ),
);
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
