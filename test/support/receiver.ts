import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with the n-th request (0-based) to a path. */
export type Behaviour =
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  | { reset: true };

/**
 * A real HTTPS receiver on 127.0.0.1 with a scripted answer per path, recording every request.
 * Its certificate must be trusted by the sender (NODE_EXTRA_CA_CERTS or the local stack's data dir).
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly behaviours = new Map<string, (n: number) => Behaviour>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(tls: { cert: string; key: string }) {
    this.server = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const n = this.requests.filter((r) => r.path === path).length;
        this.requests.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const behaviour = this.behaviours.get(path)?.(n) ?? { status: 200, body: '{"ok":true}' };
        if ('reset' in behaviour) {
          // Drop the connection mid-request: the client sees ECONNRESET ("socket hang up").
          req.socket.destroy();
          return;
        }
        const respond = () => {
          if (res.destroyed) return;
          res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
          res.end(behaviour.body ?? '');
        };
        if (behaviour.delayMs) setTimeout(respond, behaviour.delayMs).unref();
        else respond();
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sets how `path` answers; `script` gets the request number for that path. */
  on(path: string, script: (n: number) => Behaviour): string {
    this.behaviours.set(path, script);
    return `${this.origin}${path}`;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
