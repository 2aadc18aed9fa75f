import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureReceiverCertificate } from '../../../local/certificates.ts';

/** The parts of the READY line the dashboard tests use. */
export interface ReadyInfo {
  api_url: string;
  dashboard_url: string;
  api_key: string;
  workspace_id: string;
  sqs_endpoint: string;
  events_queue_url: string;
}

export interface LocalStackProcess {
  info: ReadyInfo;
  dataDir: string;
  /** What the stack wrote to stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node local/start.ts` as a child process on a free port with a fresh data directory, and
 * resolves with its READY line. `env` adds to (or overrides) the test defaults.
 */
export async function startLocalStackProcess(
  options: { dataDir?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<LocalStackProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'encrata-dashboard-'));
  const child: ChildProcess = spawn(process.execPath, ['local/start.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      PORT: '0',
      ENCRATA_DATA_DIR: dataDir,
      ENCRATA_ALLOW_PRIVATE_TARGETS: '1',
      ENCRATA_RETRY_SCHEDULE: '1,1',
      ENCRATA_LOG_LEVEL: 'WARN',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  const exited = once(child, 'exit');

  const info = await new Promise<ReadyInfo>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`the local stack printed no READY line in time:\n${stderr}`)),
      options.timeoutMs ?? 30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('READY '.length)) as ReadyInfo);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited with ${code} before READY:\n${stderr}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });

  return {
    info,
    dataDir,
    output: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
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
