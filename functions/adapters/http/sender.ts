import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { createSecureContext, getCACertificates, type SecureContext } from 'node:tls';
import { ATTEMPT_TIMEOUT_MS, type AttemptOutcome } from '../../core/attempt.ts';
import { MAX_RESPONSE_BODY_BYTES } from '../../core/deliveries.ts';
import type { Sender } from '../../core/ports.ts';
import { isForbiddenAddress, isLocalHostName } from '../../core/url-policy.ts';

const FORBIDDEN = 'EFORBIDDENADDRESS';

export interface SenderOptions {
  /** Local development only: lets deliveries reach loopback and private addresses. */
  allowPrivateTargets: boolean;
  /** Whole-attempt budget in milliseconds. @default 5000 */
  timeoutMs?: number;
  /** Local development only: a PEM file of extra trusted certificates (the local receiver's). */
  extraCaFile?: string;
}

function forbidden(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: FORBIDDEN });
}

/**
 * DNS resolution with the SSRF check at connect time: every address the name resolves to is
 * checked, any forbidden one refuses the connection, and Node connects to an address that was
 * checked (there is no second lookup for a rebinding attack to slip into).
 */
export function guardedLookup(allowPrivateTargets: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      if (!allowPrivateTargets) {
        if (isLocalHostName(hostname)) return callback(forbidden(`${hostname} is this machine`), '', 4);
        const bad = addresses.find((entry) => isForbiddenAddress(entry.address));
        if (bad)
          return callback(forbidden(`${hostname} resolves to a forbidden address (${bad.address})`), '', 4);
      }
      const first = addresses[0];
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }),
          '',
          4,
        );
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

/** A short, secret-free description of a failed attempt. */
export function describeError(error: unknown, timeoutMs: number): string {
  const e = error as NodeJS.ErrnoException & { name?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') {
    return `timeout: no complete answer within ${timeoutMs} ms`;
  }
  switch (e?.code) {
    case FORBIDDEN:
      return `refused: ${e.message}`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset by the receiver';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      if (e?.code && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME/i.test(e.code)) return `TLS error: ${e.code}`;
      return e?.code ? `network error: ${e.code}` : `network error: ${e?.message ?? 'unknown'}`;
  }
}

/** The trust store: the platform's default CAs, plus the local receiver's certificate when given. */
function secureContextFor(extraCaFile: string | undefined): SecureContext {
  if (!extraCaFile) return createSecureContext();
  return createSecureContext({ ca: [...getCACertificates('default'), readFileSync(extraCaFile, 'utf8')] });
}

/**
 * Outbound HTTPS for deliveries: keep-alive connections reused per origin, the SSRF guard at
 * connect time, 5 s for the whole attempt, redirects never followed, at most 4 KiB of the answer read.
 */
export class HttpsSender implements Sender {
  private readonly agent: Agent;
  private readonly lookup: LookupFunction;
  private readonly options: SenderOptions;
  private readonly timeoutMs: number;

  constructor(options: SenderOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.lookup = guardedLookup(options.allowPrivateTargets);
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
    if (target.protocol !== 'https:') return { kind: 'error', error: 'refused: url must use https' };
    // Node skips the lookup for IP literals, so they are checked here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (!this.options.allowPrivateTargets && isIP(literal) && isForbiddenAddress(literal)) {
      return { kind: 'error', error: `refused: ${literal} is a forbidden address` };
    }
    const payload = Buffer.from(input.body, 'utf8');
    const headers = { ...input.headers, 'Content-Length': String(payload.length) };
    // One budget for the whole attempt, a second try on a stale pooled connection included.
    const signal = AbortSignal.timeout(this.timeoutMs);
    const first = await this.post(target, headers, payload, signal);
    // A kept-alive connection the receiver closed while idle (or while the function was frozen)
    // fails at once: that is not the receiver's answer, so it gets one fresh connection (Node's
    // documented pattern for `reusedSocket`).
    if (first.staleConnection && !signal.aborted)
      return (await this.post(target, headers, payload, signal)).outcome;
    return first.outcome;
  }

  private post(
    target: URL,
    headers: Record<string, string>,
    payload: Buffer,
    signal: AbortSignal,
  ): Promise<{ outcome: AttemptOutcome; staleConnection: boolean }> {
    return new Promise((resolve) => {
      const req = request(
        target,
        { method: 'POST', agent: this.agent, lookup: this.lookup, headers, signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () =>
            resolve({
              outcome: {
                kind: 'response',
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES),
                retryAfter:
                  typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
              },
              staleConnection: false,
            });
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            if (size >= MAX_RESPONSE_BODY_BYTES) {
              // The rest is discarded: stop reading and drop the connection instead of draining it.
              res.destroy();
              finish();
            }
          });
          res.on('end', finish);
          res.on('error', (error) =>
            resolve({
              outcome: { kind: 'error', error: describeError(error, this.timeoutMs) },
              staleConnection: false,
            }),
          );
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({
          outcome: { kind: 'error', error: describeError(error, this.timeoutMs) },
          staleConnection: req.reusedSocket && error.code === 'ECONNRESET',
        }),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
