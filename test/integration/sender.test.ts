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
 * Every test counts the requests the server got, so a sender retrying every reset (or retrying
 * more than once) fails.
 */
describe('HttpsSender connection reuse', () => {
  let server: Server;
  let caFile: string;
  const perSocket = new Map<Socket, number>();
  /** answer: always answer 200 · dropReused: drop a connection's second and later requests · dropAll: drop every request */
  let mode: 'answer' | 'dropReused' | 'dropAll' = 'answer';
  let status = 200;
  const requests: { body: string; socketRequest: number }[] = [];

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    caFile = join(tmpdir(), `sender-test-${process.pid}.pem`);
    writeFileSync(caFile, tls.cert);
    server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({ body: Buffer.concat(chunks).toString('utf8'), socketRequest: n });
        if (mode === 'dropAll' || (mode === 'dropReused' && n > 1)) {
          req.socket.destroy(); // as a receiver that closed the idle connection would look
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  beforeEach(() => {
    mode = 'answer';
    status = 200;
    requests.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const url = () => `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const send = (sender: HttpsSender) =>
    sender.send({ url: url(), headers: { 'Content-Type': 'application/json' }, body: '{"event":"test"}' });
  const withSender = async (run: (sender: HttpsSender) => Promise<void>) => {
    const sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    try {
      await run(sender);
    } finally {
      sender.close();
    }
  };

  it('retries once on a fresh connection when a reused one turns out dead', () =>
    withSender(async (sender) => {
      mode = 'dropReused';
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      requests.length = 0;
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      // the dropped try on the reused connection, then the fresh one, with the same body
      expect(requests).toEqual([
        { body: '{"event":"test"}', socketRequest: 2 },
        { body: '{"event":"test"}', socketRequest: 1 },
      ]);
    }));

  it('reuses a kept-alive connection that is alive, with one request', () =>
    withSender(async (sender) => {
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      expect(requests.map((request) => request.socketRequest)).toEqual([1, 2]);
    }));

  it('reports a reset on a fresh connection as a failure, without a second try', () =>
    withSender(async (sender) => {
      mode = 'dropAll';
      expect(await send(sender)).toEqual({ kind: 'error', error: 'connection reset by the receiver' });
      expect(requests).toEqual([{ body: '{"event":"test"}', socketRequest: 1 }]);
    }));

  it('tries a fresh connection only once: a reset there too is a failure', () =>
    withSender(async (sender) => {
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      mode = 'dropAll';
      requests.length = 0;
      expect(await send(sender)).toEqual({ kind: 'error', error: 'connection reset by the receiver' });
      expect(requests.map((request) => request.socketRequest)).toEqual([2, 1]);
    }));

  it('does not retry an answer on a reused connection, even a failing one', () =>
    withSender(async (sender) => {
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 200 });
      status = 500;
      requests.length = 0;
      expect(await send(sender)).toMatchObject({ kind: 'response', status: 500 });
      expect(requests.map((request) => request.socketRequest)).toEqual([2]);
    }));
});
