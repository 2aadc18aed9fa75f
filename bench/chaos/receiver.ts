/**
 * The chaos suite's receivers: one real HTTPS server on 127.0.0.1 (the local stack's data-directory
 * certificate, which the stack trusts) answering each path in one of the ways a hostile or healthy
 * receiver does, and recording every request per (path, event).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export const BEHAVIOURS = ['ok', 'switching', 'hang', 'reset', 'drip', 'huge', 'slow'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** What each behaviour does, for the table's legend and docs/operations.md. */
export const BEHAVIOUR_NOTES: Record<Behaviour, string> = {
  ok: '200 at once',
  switching: 'answers `101 Switching Protocols` and keeps the connection open',
  hang: 'reads the request and never answers',
  reset: 'reads the request and resets the connection',
  drip: '200, then one byte every 400 ms for a minute',
  huge: '200 with a 50 MiB body',
  slow: '200 after 4.9 s',
};

export const HUGE_BODY_BYTES = 50 * 1024 * 1024;
const SLOW_MS = 4900;
const DRIP_EVERY_MS = 400;
const DRIP_FOR_MS = 60_000;

export interface Receipt {
  requests: number;
  /** Requests this receiver answered with a 2xx status line. */
  ok: number;
  deliveryIds: Set<string>;
  firstOkAt: number | undefined;
}

/** The event a body is about: the chaos suite publishes `lookup.completed` with `data.lookup_id` = its key. */
export function eventKeyOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const data = (parsed as { data?: { lookup_id?: unknown } } | null)?.data;
    return typeof data?.lookup_id === 'string' ? data.lookup_id : undefined;
  } catch {
    return undefined;
  }
}

export class ChaosReceiver {
  /** `${path} ${eventKey}` → what arrived. */
  readonly receipts = new Map<string, Receipt>();
  /** Every 2xx answer's time (ms), in order. */
  readonly okTimes: number[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(tls: { cert: string; key: string }) {
    this.server = createServer({ ...tls, requestTimeout: 0 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const behaviour = (path.split('/')[1] ?? 'ok') as Behaviour;
        const key = eventKeyOf(Buffer.concat(chunks).toString('utf8')) ?? '?';
        const receipt = this.receipt(path, key);
        receipt.requests++;
        receipt.deliveryIds.add(String(req.headers['x-encrata-delivery'] ?? ''));
        const answered = () => {
          const now = Date.now();
          receipt.ok++;
          receipt.firstOkAt ??= now;
          this.okTimes.push(now);
        };
        switch (behaviour) {
          case 'switching':
            // An unrequested upgrade: Node's client emits neither a response nor an error for it.
            req.socket.write(
              'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: chaos\r\n\r\n',
            );
            return;
          case 'hang':
            return;
          case 'reset':
            req.socket.destroy();
            return;
          case 'drip': {
            // Not counted as a 2xx answer: it never completes.
            res.writeHead(200, { 'content-type': 'text/plain' });
            const started = Date.now();
            const timer = setInterval(() => {
              if (res.destroyed || Date.now() - started > DRIP_FOR_MS) {
                clearInterval(timer);
                this.timers.delete(timer);
                res.end();
                return;
              }
              res.write('.');
            }, DRIP_EVERY_MS);
            this.timers.add(timer);
            return;
          }
          case 'huge': {
            res.writeHead(200, {
              'content-type': 'application/octet-stream',
              'content-length': HUGE_BODY_BYTES,
            });
            answered();
            const chunk = Buffer.alloc(1024 * 1024, 0x61);
            let sent = 0;
            const pump = () => {
              while (sent < HUGE_BODY_BYTES && !res.destroyed) {
                sent += chunk.length;
                if (!res.write(chunk)) return void res.once('drain', pump);
              }
              res.end();
            };
            pump();
            return;
          }
          case 'slow': {
            const timer = setTimeout(() => {
              this.timers.delete(timer);
              if (res.destroyed) return;
              answered();
              res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
            }, SLOW_MS);
            this.timers.add(timer);
            return;
          }
          default:
            answered();
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        }
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Hostile answers end connections in ways the server itself would otherwise log.
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  private receipt(path: string, key: string): Receipt {
    const id = `${path} ${key}`;
    let receipt = this.receipts.get(id);
    if (!receipt) {
      receipt = { requests: 0, ok: 0, deliveryIds: new Set(), firstOkAt: undefined };
      this.receipts.set(id, receipt);
    }
    return receipt;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(behaviour: Behaviour, name: string): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/${behaviour}/${name}`;
  }

  /** What arrived at `url` for one event. */
  get(url: string, eventKey: string): Receipt | undefined {
    return this.receipts.get(`${new URL(url).pathname} ${eventKey}`);
  }

  /** The first 2xx answer at or after `since` (ms): when delivery resumed after a restart. */
  firstOkSince(since: number): number | undefined {
    return this.okTimes.find((at) => at >= since);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
