import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';

/** One request as it arrived on the wire: the raw head, parsed, and the body it announced. */
export interface RawRequest {
  method: string;
  path: string;
  /** Header names lower-cased; repeated headers keep their last value. */
  headers: Record<string, string>;
  body: Buffer;
  /** Which connection (1-based) it came on. */
  connection: number;
}

/** What the receiver does once a request has fully arrived: it writes whatever bytes it likes. */
export type RawBehaviour = (socket: TLSSocket, request: RawRequest) => void;

/** What one connection did, for assertions that wait on signals rather than on time. */
export interface RawConnection {
  socket: TLSSocket;
  /** Resolves when the connection is gone (the sender dropped it, or the receiver did). */
  closed: Promise<void>;
  /** Bytes of the answer the receiver wrote that the transport accepted. */
  written(): number;
}

/**
 * A hostile HTTPS receiver on 127.0.0.1 that speaks HTTP/1.1 by hand, so a test can answer
 * anything: `101 Switching Protocols`, informational answers, nothing at all, a body one byte at
 * a time, 50 MiB, a reset. It records every connection and request.
 */
export class HostileReceiver {
  readonly requests: RawRequest[] = [];
  readonly connections: RawConnection[] = [];
  private readonly server: Server;
  private readonly behaviours = new Map<string, RawBehaviour>();

  constructor(tls: { cert: string; key: string }) {
    this.server = createServer(tls, (socket) => this.accept(socket));
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Sets how `path` answers and returns its URL on 127.0.0.1. */
  on(path: string, behaviour: RawBehaviour): string {
    this.behaviours.set(path, behaviour);
    return `https://127.0.0.1:${this.port}${path}`;
  }

  received(path: string): RawRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: TLSSocket): void {
    const number = this.connections.length + 1;
    socket.on('error', () => {}); // a sender dropping the connection is what most tests expect
    this.connections.push({
      socket,
      closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
      written: () => socket.bytesWritten,
    });
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [start = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const [method = '', path = ''] = start.split(' ');
        const request = {
          method,
          path,
          headers,
          body: buffered.subarray(end + 4, end + 4 + length),
          connection: number,
        };
        buffered = buffered.subarray(end + 4 + length);
        this.requests.push(request);
        const behaviour = this.behaviours.get(path);
        if (behaviour) behaviour(socket, request);
        else socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      }
    };
    socket.on('data', onData);
  }
}

/** The bytes of a complete HTTP/1.1 answer. */
export function answer(status: number, body = '', headers: Record<string, string> = {}): string {
  const head = Object.entries({ 'Content-Length': String(Buffer.byteLength(body)), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} Status\r\n${head}\r\n${body}`;
}
