/**
 * `npm run receiver`: a local HTTPS webhook receiver that verifies every delivery (Encrata's
 * signature and the Standard Webhooks headers) and prints it. Its certificate lives in the local
 * stack's data directory, which the stack trusts, so a newcomer can watch the whole flow:
 *
 *   terminal 1: npm start
 *   terminal 2: npm run receiver -- --secret whsec_…   (the secret from creating the webhook)
 *
 * Options: --port (default 4443), --secret (or ENCRATA_WEBHOOK_SECRET; without it signatures are
 * shown but not verified; give it twice during a secret rotation — the new secret and the previous
 * one — and each delivery says which one verified), --status (answer with this status, default 200).
 */
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import { ensureReceiverCertificate } from '../local/certificates.ts';
import { verifyDelivery } from './verify.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4443' },
    secret: { type: 'string', multiple: true },
    status: { type: 'string', default: '200' },
  },
});
const dataDir = process.env.ENCRATA_DATA_DIR ?? '.local';
const status = Number(values.status);
const secrets = values.secret?.length
  ? values.secret
  : (process.env.ENCRATA_WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
if (secrets.length > 2) {
  console.error('Give --secret at most twice: the new secret and, during a rotation, the previous one.');
  process.exit(2);
}
const which = (index: number | null) =>
  index === null
    ? 'INVALID'
    : secrets.length > 1
      ? `valid (${index === 0 ? 'first' : 'second'} --secret)`
      : 'valid';

const certificate = await ensureReceiverCertificate(dataDir);
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
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`Receiving webhooks at https://127.0.0.1:${values.port}/webhooks`);
  console.log(`Certificate: ${certificate.certFile} (the local stack in ${dataDir} trusts it)`);
  console.log(
    `Create a webhook pointing here:\n  curl -s -X POST http://127.0.0.1:${process.env.PORT ?? 3000}/api/webhooks \\\n` +
      `    -H "Authorization: Bearer $ENCRATA_API_KEY" -H 'Content-Type: application/json' \\\n` +
      `    -d '{"url":"https://127.0.0.1:${values.port}/webhooks","events":["lookup.completed"]}'`,
  );
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
