import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { createSecureContext, getCACertificates, type SecureContext } from 'node:tls';
import { ATTEMPT_TIMEOUT_MS, type AttemptOutcome } from '../../core/attempt.ts';
import { MAX_RESPONSE_BODY_BYTES } from '../../core/deliveries.ts';
import type { Sender } from '../../core/ports.ts';
import { isForbiddenAddress, isLocalHostName } from '../../core/url-policy.ts';

const FORBIDDEN = 'EFORBIDDENADDRESS';
/** Node's TLS errors (ERR_TLS_*, ERR_SSL_*) and OpenSSL's certificate verification codes. */
const TLS_CODE =
  /TLS|SSL|CERT|CRL|SELF_SIGNED|LEAF_SIGNATURE|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH|HOSTNAME_MISMATCH/;

/**
 * Resolves a name to every address it has: `dns.lookup` with `all: true`. The sender's default;
 * tests pass their own so a name can resolve to whatever they need without touching the machine's DNS.
 */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number | string; hints?: number },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface SenderOptions {
  /** Local development only: lets deliveries reach loopback and private addresses. */
  allowPrivateTargets: boolean;
  /** Whole-attempt budget in milliseconds: connect, TLS, request, answer headers and body. @default 5000 */
  timeoutMs?: number;
  /** Local development only: a PEM file of extra trusted certificates (the local receiver's). */
  extraCaFile?: string;
  /** How names are resolved before the guard checks them. @default dns.lookup */
  resolve?: Resolver;
}

function forbidden(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: FORBIDDEN });
}

/**
 * DNS resolution with the SSRF check at connect time: `localhost` names are refused before any
 * lookup, every address the name resolves to is checked, any forbidden one refuses the connection,
 * and Node connects to an address that was checked (there is no second lookup for a rebinding attack
 * to slip into). A refusal names the host, never what it resolved to: the caller must not learn
 * anything about the network the sender runs in.
 */
export function guardedLookup(options: { allowPrivateTargets: boolean; resolve?: Resolver }): LookupFunction {
  const { allowPrivateTargets, resolve = dnsLookup as Resolver } = options;
  return (hostname, lookupOptions, callback) => {
    const fail = (error: NodeJS.ErrnoException) => callback(error, '', 4);
    if (!allowPrivateTargets && isLocalHostName(hostname)) {
      return process.nextTick(fail, forbidden(`${hostname} is this machine`));
    }
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return fail(error);
      if (!allowPrivateTargets && addresses.some((entry) => isForbiddenAddress(entry.address))) {
        return fail(forbidden(`${hostname} resolves to a forbidden address`));
      }
      const [first] = addresses;
      if (!first)
        return fail(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }));
      // Node asks for every address (`all: true`) when it races IPv4 and IPv6, else for one.
      if (lookupOptions.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

/** A short, secret-free description of a failed attempt's network error. */
export function describeError(error: unknown): string {
  const e = error as Partial<NodeJS.ErrnoException> | undefined;
  switch (e?.code) {
    case FORBIDDEN:
      return `refused: ${e.message}`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset by the receiver';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      if (e?.code && TLS_CODE.test(e.code)) return `TLS error: ${e.code}`;
      return e?.code ? `network error: ${e.code}` : `network error: ${e?.message ?? 'unknown'}`;
  }
}

/**
 * Why the sender will not try `url` at all, or null. Only `https:`; IP literals are checked here
 * because Node connects to them without a lookup (so the guard never sees them).
 */
export function refusalFor(url: URL, allowPrivateTargets: boolean): string | null {
  if (url.protocol !== 'https:') return 'refused: url must use https';
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateTargets && isIP(literal) && isForbiddenAddress(literal)) {
    return `refused: ${literal} is a forbidden address`;
  }
  return null;
}

/**
 * The request's headers: the delivery's own, and an exact `Content-Length` (never chunked: some
 * receivers and proxies refuse chunked POSTs). A caller's own length header, in any case, is replaced.
 */
export function requestHeaders(headers: Record<string, string>, payload: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'content-length') out[name] = value;
  }
  out['Content-Length'] = String(payload.length);
  return out;
}

/** The answer's excerpt: what was read, at most `MAX_RESPONSE_BODY_BYTES` (contract §5). */
export function excerpt(chunks: readonly Buffer[]): Buffer {
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES);
}

/** The trust store: the platform's default CAs, plus the local receiver's certificate when given. */
function secureContextFor(extraCaFile: string | undefined): SecureContext {
  if (!extraCaFile) return createSecureContext();
  return createSecureContext({ ca: [...getCACertificates('default'), readFileSync(extraCaFile)] });
}

interface Try {
  outcome: AttemptOutcome;
  /** A kept-alive connection turned out dead before the receiver answered: worth one fresh try. */
  staleConnection: boolean;
}

/**
 * Outbound HTTPS for deliveries: keep-alive connections reused per origin, the SSRF guard at
 * connect time, redirects never followed, at most 4 KiB of the answer read.
 *
 * Every attempt ends within its budget (5 s) whatever the receiver does: the deadline is a timer
 * of the sender's own, not a socket event, so a `101 Switching Protocols` (which Node hands to
 * 'upgrade', not 'response'), informational answers without a final one, a hang, a drip-fed body
 * or a connection closed without an answer all end as a failed attempt with a reason.
 */
export class HttpsSender implements Sender {
  private readonly agent: Agent;
  private readonly lookup: LookupFunction;
  private readonly allowPrivateTargets: boolean;
  private readonly timeoutMs: number;

  constructor(options: SenderOptions) {
    this.allowPrivateTargets = options.allowPrivateTargets;
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.lookup = guardedLookup(options);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 64,
      maxFreeSockets: 16,
      lookup: this.lookup,
      // One TLS context for every connection, built once. Passing `ca` instead would make Node
      // stringify the whole CA list on every request to name the connection pool.
      secureContext: secureContextFor(options.extraCaFile),
    });
  }

  async send(input: { url: string; headers: Record<string, string>; body: string }): Promise<AttemptOutcome> {
    let target: URL;
    try {
      target = new URL(input.url);
    } catch {
      return { kind: 'error', error: 'invalid url' };
    }
    const refusal = refusalFor(target, this.allowPrivateTargets);
    if (refusal) return { kind: 'error', error: refusal };
    const payload = Buffer.from(input.body); // UTF-8
    const headers = requestHeaders(input.headers, payload);
    // One budget for the whole attempt, a second try on a stale pooled connection included. The
    // deadline answers for the attempt by itself; aborting also tears down whatever is in flight.
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<AttemptOutcome>((resolve) => {
      timer = setTimeout(() => {
        deadline.abort();
        resolve({ kind: 'error', error: `timeout: no complete answer within ${this.timeoutMs} ms` });
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.tries(target, headers, payload, deadline.signal), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async tries(
    target: URL,
    headers: Record<string, string>,
    payload: Buffer,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    const first = await this.post(target, headers, payload, signal);
    // A kept-alive connection the receiver closed while idle (or while the function was frozen)
    // fails at once: that is not the receiver's answer, so it gets one fresh connection (Node's
    // documented pattern for `reusedSocket`).
    if (first.staleConnection) return (await this.post(target, headers, payload, signal)).outcome;
    return first.outcome;
  }

  /** One request; it may never end by itself (the deadline in `send` ends it). */
  private post(
    target: URL,
    headers: Record<string, string>,
    payload: Buffer,
    signal: AbortSignal,
  ): Promise<Try> {
    return new Promise((resolve) => {
      const fail = (error: string, staleConnection = false) =>
        resolve({ outcome: { kind: 'error', error }, staleConnection });
      let req: ClientRequest;
      try {
        req = request(target, { method: 'POST', agent: this.agent, lookup: this.lookup, headers, signal });
      } catch (error) {
        // Node checks the request before connecting (a header value with a line break, say): nothing was sent.
        return fail(describeError(error));
      }
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () =>
          resolve({
            outcome: {
              kind: 'response',
              status: res.statusCode ?? 0,
              body: excerpt(chunks),
              retryAfter: res.headers['retry-after'],
            },
            staleConnection: false,
          });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_RESPONSE_BODY_BYTES) {
            // The rest is discarded: stop reading and drop the connection instead of draining it.
            finish();
            res.destroy();
          }
        });
        res.on('end', finish);
        res.on('error', (error) => fail(describeError(error)));
      });
      // Node hands a 101 to 'upgrade' listeners and emits no 'response' (nor an error): without
      // this one the request would wait for an answer that never comes.
      req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
        socket.destroy();
        fail(`receiver answered ${res.statusCode} Switching Protocols, not an answer`);
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        fail(describeError(error), req.reusedSocket && error.code === 'ECONNRESET'),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
