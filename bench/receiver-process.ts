/**
 * The benchmark's HTTPS receiver, in its own process so its CPU is not counted as the sender's.
 * Prints `{"port","caFile"}` once, then one line `<receivedAtMs> <body created_at>` per request.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalCertificate } from '../local/certificates.ts';

const tls = await createLocalCertificate();
const caFile = join(tmpdir(), `encrata-bench-ca-${process.pid}.pem`);
writeFileSync(caFile, tls.cert);
const lines: string[] = [];
const flush = setInterval(() => {
  if (lines.length) process.stdout.write(`${lines.splice(0).join('\n')}\n`);
}, 50);
const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = Date.now();
    const match = /"created_at":"([^"]+)"\}$/.exec(Buffer.concat(chunks).toString('utf8'));
    lines.push(`${at} ${match?.[1] ?? '-'}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, caFile })}\n`);
});
process.stdin.on('close', () => {
  clearInterval(flush);
  server.close();
  process.exit(0);
});
process.stdin.resume();
