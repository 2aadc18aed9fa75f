/**
 * `npm run receiver`: a local HTTPS webhook receiver that verifies every delivery (Encrata's
 * signature and the Standard Webhooks headers) and prints it. Its certificate lives in the local
 * stack's data directory, which the stack trusts, so a newcomer can watch the whole flow:
 *
 *   terminal 1: npm start
 *   terminal 2: npm run receiver -- --secret whsec_…   (the secret from creating the webhook)
 *
 * Options: --port (default 4443), --secret (or ENCRATA_WEBHOOK_SECRET; without it signatures are
 * shown but not verified), --status (answer with this status, default 200).
 */
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { ensureReceiverCertificate } from '../local/certificates.ts';
import { verifyEncrataSignature } from './verify.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4443' },
    secret: { type: 'string', default: process.env.ENCRATA_WEBHOOK_SECRET ?? '' },
    status: { type: 'string', default: '200' },
  },
});
const dataDir = process.env.ENCRATA_DATA_DIR ?? '.local';
const status = Number(values.status);
const secret = values.secret ?? '';

const certificate = await ensureReceiverCertificate(dataDir);
const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => String(req.headers[name] ?? '');
    let verdict = 'not verified (no --secret given)';
    if (secret) {
      const encrata = verifyEncrataSignature(secret, body, header('x-encrata-signature'));
      let standard = false;
      try {
        new Webhook(secret).verify(body, {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        });
        standard = true;
      } catch {
        standard = false;
      }
      verdict = `X-Encrata-Signature ${encrata ? 'valid' : 'INVALID'}, Standard Webhooks ${standard ? 'valid' : 'INVALID'}`;
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
