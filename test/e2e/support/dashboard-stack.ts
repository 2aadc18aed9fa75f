import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureReceiverCertificate } from '../../../local/certificates.ts';
import { type StackInfo, startStack } from '../../support/local-stack.ts';

/** The parts of the READY line the dashboard tests use. */
export type ReadyInfo = StackInfo;

export interface LocalStackProcess {
  info: ReadyInfo;
  dataDir: string;
  /** What the stack wrote to stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node local/start.ts` (through the shared e2e starter) with a fresh data directory, and
 * removes the directory again when stopped.
 */
export async function startLocalStackProcess(
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<LocalStackProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'encrata-dashboard-'));
  const stack = await startStack({ dataDir, env: options.env }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    info: stack.info,
    dataDir,
    output: () => stack.output.join(''),
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpsReceiver {
  /** e.g. `https://127.0.0.1:43123` */
  origin: string;
  received: ReceivedRequest[];
  /** The status the receiver answers with from now on. */
  respondWith(status: number): void;
  /** Resolves with the first request (counting from now on) that `match` accepts. */
  waitFor(match: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/**
 * A real HTTPS webhook receiver on 127.0.0.1, serving the certificate in `<dataDir>/receiver/` (created
 * here first, so the stack started afterwards trusts it). It answers JSON with the configured status.
 */
export async function startHttpsReceiver(dataDir: string): Promise<HttpsReceiver> {
  const certificate = await ensureReceiverCertificate(dataDir);
  const received: ReceivedRequest[] = [];
  const waiters = new Set<(request: ReceivedRequest) => void>();
  let status = 200;
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      for (const waiter of waiters) waiter(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(status < 300 ? { received: true } : { error: 'receiver is failing on purpose' }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    received,
    respondWith(next) {
      status = next;
    },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const waiter = (request: ReceivedRequest) => {
          if (!match(request)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(request);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error('the receiver got no matching request in time'));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
