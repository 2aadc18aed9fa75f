import type { LookupAddress } from 'node:dns';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { HttpsSender, type Resolver } from '../../functions/adapters/http/sender.ts';

/**
 * The connect-time SSRF guard, exercised through host names (Node never calls `lookup` for an IP
 * literal): the names resolve through a resolver this test controls, to 127.0.0.1 or ::1, so the
 * machine's DNS and hosts file are never involved. The same sender with private targets allowed
 * (the local stack's ENCRATA_ALLOW_PRIVATE_TARGETS=1) delivers through the very same name, so the
 * refusal is the guard's and nothing else's.
 */
const NAME = 'receiver.test'; // .test never resolves in real DNS (RFC 6761)

describe('HttpsSender connect-time guard, through host names', () => {
  let server: Server;
  let caFile: string;
  const requests: { host: string | undefined }[] = [];
  const asked: string[] = [];
  const answers = new Map<string, LookupAddress[]>([
    [NAME, [{ address: '127.0.0.1', family: 4 }]],
    ['v6.receiver.test', [{ address: '::1', family: 6 }]],
    ['mapped.receiver.test', [{ address: '::ffff:127.0.0.1', family: 6 }]],
    ['hooks.localhost', [{ address: '127.0.0.1', family: 4 }]],
    ['empty.receiver.test', []],
  ]);
  /** Answers from `answers`, a turn later as real DNS would; unknown names are NXDOMAIN. */
  const resolve: Resolver = (hostname, _options, callback) => {
    asked.push(hostname);
    const found = answers.get(hostname);
    setImmediate(() =>
      found
        ? callback(null, found)
        : callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []),
    );
  };

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: `sender guard test ${process.pid}` }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: NAME }] },
      ],
    });
    caFile = join(tmpdir(), `sender-guard-${process.pid}.pem`);
    writeFileSync(caFile, pems.cert);
    server = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
      requests.push({ host: req.headers.host });
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  });

  beforeEach(() => {
    requests.length = 0;
    asked.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  const urlFor = (host: string) => `https://${host}:${(server.address() as AddressInfo).port}/hook`;
  const attempt = async (host: string, allowPrivateTargets: boolean) => {
    const sender = new HttpsSender({ allowPrivateTargets, extraCaFile: caFile, resolve });
    try {
      return await sender.send({ url: urlFor(host), headers: {}, body: '{}' });
    } finally {
      sender.close();
    }
  };

  it('delivers through a name that resolves to loopback when private targets are allowed', async () => {
    expect(await attempt(NAME, true)).toMatchObject({ kind: 'response', status: 200 });
    expect(asked).toContain(NAME);
    expect(requests).toEqual([{ host: `${NAME}:${(server.address() as AddressInfo).port}` }]);
  });

  it('refuses the same name at connect time when they are not, without saying what it resolved to', async () => {
    const outcome = await attempt(NAME, false);
    expect(outcome).toEqual({ kind: 'error', error: `refused: ${NAME} resolves to a forbidden address` });
    expect(asked).toContain(NAME); // the guard looked the name up: the refusal is the guard's
    expect(JSON.stringify(outcome)).not.toContain('127.0.0.1');
    expect(requests).toEqual([]);
  });

  it.each([
    ['v6.receiver.test', '::1'],
    ['mapped.receiver.test', '::ffff:127.0.0.1'],
  ])('refuses %s (resolving to %s) at connect time', async (host, address) => {
    const outcome = await attempt(host, false);
    expect(outcome).toEqual({ kind: 'error', error: `refused: ${host} resolves to a forbidden address` });
    expect(JSON.stringify(outcome)).not.toContain(address);
    expect(requests).toEqual([]);
  });

  it('refuses a localhost name at connect time without looking it up', async () => {
    expect(await attempt('hooks.localhost', false)).toEqual({
      kind: 'error',
      error: 'refused: hooks.localhost is this machine',
    });
    expect(asked).toEqual([]);
    expect(requests).toEqual([]);
  });

  it.each([
    ['a name that does not exist', 'missing.receiver.test'],
    ['a name without addresses', 'empty.receiver.test'],
  ])('reports %s as a failed DNS lookup', async (_name, host) => {
    expect(await attempt(host, false)).toEqual({ kind: 'error', error: 'DNS lookup failed' });
    expect(asked).toContain(host);
  });
});
