import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsSender } from '../../functions/adapters/http/sender.ts';
import { createLocalCertificate } from '../../local/certificates.ts';

/**
 * The HTTPS sender against a real TLS server on 127.0.0.1: a kept-alive connection the receiver
 * dropped while idle is retried once on a fresh connection; a drop on a fresh one is a failure.
 */
describe('HttpsSender connection reuse', () => {
  let server: Server;
  let caFile: string;
  const perSocket = new Map<Socket, number>();
  let dropReused = true;
  let requests = 0;

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    caFile = join(tmpdir(), `sender-test-${process.pid}.pem`);
    writeFileSync(caFile, tls.cert);
    server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      requests++;
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      req.resume();
      req.on('end', () => {
        if (n > 1 && dropReused) {
          req.socket.destroy(); // as a receiver that closed the idle connection would look
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const url = () => `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const send = (sender: HttpsSender) =>
    sender.send({ url: url(), headers: { 'Content-Type': 'application/json' }, body: '{"event":"test"}' });

  it('retries once on a fresh connection when a reused one turns out dead', async () => {
    const sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    try {
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      requests = 0;
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      expect(requests).toBe(2); // the dropped try and the fresh one
    } finally {
      sender.close();
    }
  });

  it('reports a reset on a fresh connection as a failure', async () => {
    dropReused = true;
    const sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    const original = perSocket.get.bind(perSocket);
    perSocket.get = () => 5; // every request looks like a reused connection's to the server
    try {
      expect(await send(sender)).toEqual({ kind: 'error', error: 'connection reset by the receiver' });
    } finally {
      perSocket.get = original;
      sender.close();
    }
  });
});
