import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import {
  describeError,
  excerpt,
  guardedLookup,
  HttpsSender,
  type Resolver,
  refusalFor,
  requestHeaders,
} from '../../../functions/adapters/http/sender.ts';
import { MAX_RESPONSE_BODY_BYTES } from '../../../functions/core/deliveries.ts';

/**
 * The sender's pure parts, and the connect-time SSRF guard with a resolver the test controls.
 * Addresses here are only strings handed to the guard: nothing connects to them.
 */

const errno = (code: string, message = `${code} (test)`) => Object.assign(new Error(message), { code });

describe('describeError', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset by the receiver'],
    ['EPIPE', 'connection reset by the receiver'],
    ['ENOTFOUND', 'DNS lookup failed'],
    ['EAI_AGAIN', 'DNS lookup failed'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'host unreachable'],
  ])('describes %s as "%s"', (code, text) => {
    expect(describeError(errno(code))).toBe(text);
  });

  it.each([
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CRL_HAS_EXPIRED',
    'INVALID_CA',
    'INVALID_PURPOSE',
    'PATH_LENGTH_EXCEEDED',
    'HOSTNAME_MISMATCH',
  ])('names the TLS failure %s', (code) => {
    expect(describeError(errno(code))).toBe(`TLS error: ${code}`);
  });

  it('says what the guard refused, as the guard put it', () => {
    const refusal = Object.assign(new Error('hooks.test resolves to a forbidden address'), {
      code: 'EFORBIDDENADDRESS',
    });
    expect(describeError(refusal)).toBe('refused: hooks.test resolves to a forbidden address');
  });

  it('names any other code, else the message, else says it does not know', () => {
    expect(describeError(errno('EMFILE', 'too many open files'))).toBe('network error: EMFILE');
    expect(describeError(new Error('socket hang up'))).toBe('network error: socket hang up');
    expect(describeError(undefined)).toBe('network error: unknown');
    expect(describeError({})).toBe('network error: unknown');
  });
});

describe('refusalFor', () => {
  const refusal = (url: string, allowPrivateTargets = false) => refusalFor(new URL(url), allowPrivateTargets);

  it.each(['http://hooks.example.com/x', 'ftp://hooks.example.com/x', 'ws://hooks.example.com/'])(
    'refuses %s: https only, even with private targets allowed',
    (url) => {
      expect(refusal(url)).toBe('refused: url must use https');
      expect(refusal(url, true)).toBe('refused: url must use https');
    },
  );

  it.each([
    ['https://127.0.0.1/x', '127.0.0.1'],
    ['https://10.1.2.3:8443/x', '10.1.2.3'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['https://[::1]/x', '::1'],
    ['https://[::ffff:127.0.0.1]/x', '::ffff:7f00:1'],
    ['https://[fd00::1]:8443/x', 'fd00::1'],
  ])('refuses the forbidden literal in %s unless private targets are allowed', (url, shown) => {
    expect(refusal(url)).toBe(`refused: ${shown} is a forbidden address`);
    expect(refusal(url, true)).toBeNull();
  });

  it.each(['https://hooks.example.com/x', 'https://8.8.8.8/x', 'https://[2606:4700:4700::1111]/x'])(
    'leaves %s to the connection (names are checked by the guard once resolved)',
    (url) => {
      expect(refusal(url)).toBeNull();
    },
  );
});

describe('requestHeaders', () => {
  it('adds the exact byte length of the body', () => {
    const payload = Buffer.from('{"name":"Zoë"}', 'utf8');
    expect(requestHeaders({ 'Content-Type': 'application/json' }, payload)).toEqual({
      'Content-Type': 'application/json',
      'Content-Length': '15',
    });
    expect(requestHeaders({}, Buffer.alloc(0))).toEqual({ 'Content-Length': '0' });
  });

  it('replaces a length header of the caller’s, whatever its case, and leaves the input alone', () => {
    const input = { 'content-length': '999', 'CONTENT-LENGTH': '1', 'X-Encrata-Event': 'test' };
    expect(requestHeaders(input, Buffer.from('abc'))).toEqual({
      'X-Encrata-Event': 'test',
      'Content-Length': '3',
    });
    expect(input).toEqual({ 'content-length': '999', 'CONTENT-LENGTH': '1', 'X-Encrata-Event': 'test' });
  });
});

describe('excerpt', () => {
  it(`keeps at most ${MAX_RESPONSE_BODY_BYTES} bytes of what was read, across chunks`, () => {
    const chunks = [Buffer.alloc(3000, 'a'), Buffer.alloc(3000, 'b')];
    const cut = excerpt(chunks);
    expect(cut).toHaveLength(MAX_RESPONSE_BODY_BYTES);
    expect(cut.toString()).toBe('a'.repeat(3000) + 'b'.repeat(MAX_RESPONSE_BODY_BYTES - 3000));
  });

  it('keeps a short body whole, and an empty one empty', () => {
    expect(excerpt([Buffer.from('ok'), Buffer.from('!')]).toString()).toBe('ok!');
    expect(excerpt([Buffer.alloc(MAX_RESPONSE_BODY_BYTES, 'z')])).toHaveLength(MAX_RESPONSE_BODY_BYTES);
    expect(excerpt([])).toHaveLength(0);
  });
});

type LookupResult =
  | { error: NodeJS.ErrnoException; address?: undefined; family?: undefined; addresses?: undefined }
  | { error: null; address: string; family: number; addresses?: undefined }
  | { error: null; addresses: LookupAddress[]; address?: undefined; family?: undefined };

/** Calls a lookup function as Node's net module does, and returns what it called back with. */
function lookUp(
  lookup: LookupFunction,
  hostname: string,
  options: { all?: boolean; family?: number; hints?: number } = {},
): Promise<LookupResult> {
  return new Promise((resolve) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) resolve({ error });
      else if (Array.isArray(address)) resolve({ error: null, addresses: address });
      else resolve({ error: null, address, family: family ?? 0 });
    });
  });
}

/** A resolver answering from a table (a turn later, as DNS does), recording what it was asked. */
function fakeResolver(table: Record<string, LookupAddress[] | NodeJS.ErrnoException>) {
  const asked: { hostname: string; options: object }[] = [];
  const resolve: Resolver = (hostname, options, callback) => {
    asked.push({ hostname, options });
    const answer = table[hostname] ?? errno('ENOTFOUND');
    setImmediate(() => (Array.isArray(answer) ? callback(null, answer) : callback(answer, [])));
  };
  return { resolve, asked };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });
const PUBLIC = [v4('1.1.1.1'), v6('2606:4700:4700::1111')];

describe('guardedLookup', () => {
  const guard = (
    table: Record<string, LookupAddress[] | NodeJS.ErrnoException>,
    allowPrivateTargets = false,
  ) => {
    const resolver = fakeResolver(table);
    return {
      lookup: guardedLookup({ allowPrivateTargets, resolve: resolver.resolve }),
      asked: resolver.asked,
    };
  };

  it('answers a single lookup with the first address, and `all: true` with every one', async () => {
    const { lookup, asked } = guard({ 'hooks.example.com': PUBLIC });
    expect(await lookUp(lookup, 'hooks.example.com')).toEqual({ error: null, address: '1.1.1.1', family: 4 });
    expect(await lookUp(lookup, 'hooks.example.com', { all: true })).toEqual({
      error: null,
      addresses: PUBLIC,
    });
    // The resolver is always asked for every address, with Node's other options passed on.
    expect(await lookUp(lookup, 'hooks.example.com', { family: 6, hints: 32 })).toMatchObject({
      error: null,
    });
    expect(asked.map((entry) => entry.options)).toEqual([
      { all: true },
      { all: true },
      { family: 6, hints: 32, all: true },
    ]);
  });

  it('gives the family of the first address to a single lookup', async () => {
    const { lookup } = guard({ 'v6.example.com': [v6('2606:4700:4700::1111'), v4('1.1.1.1')] });
    expect(await lookUp(lookup, 'v6.example.com')).toEqual({
      error: null,
      address: '2606:4700:4700::1111',
      family: 6,
    });
  });

  it.each([
    ['after a public one', [v4('1.1.1.1'), v4('10.0.0.7')]],
    ['before a public one', [v4('192.168.1.1'), v4('1.1.1.1')]],
    ['last of several', [...PUBLIC, v4('8.8.8.8'), v4('169.254.169.254')]],
    ['as the only one', [v4('127.0.0.1')]],
  ])('refuses a name with a forbidden address %s, in both shapes', async (_where, addresses) => {
    const { lookup } = guard({ 'mixed.example.com': addresses });
    for (const all of [false, true]) {
      const result = await lookUp(lookup, 'mixed.example.com', { all });
      expect(result.error).toMatchObject({
        code: 'EFORBIDDENADDRESS',
        message: 'mixed.example.com resolves to a forbidden address',
      });
      expect(result.address ?? result.addresses).toBeFalsy();
    }
  });

  it.each([
    '::1',
    '::',
    'fe80::1%eth0',
    'fd12:3456::1',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a00:1',
    '64:ff9b::a00:1',
    '2002:c0a8:101::1',
  ])('refuses a name resolving to the IPv6 form %s, without naming it', async (address) => {
    const { lookup } = guard({ 'v6.example.com': [...PUBLIC, v6(address)] });
    const result = await lookUp(lookup, 'v6.example.com', { all: true });
    expect(result.error?.code).toBe('EFORBIDDENADDRESS');
    expect(result.error?.message).not.toContain(address);
  });

  it('refuses an answer that is not an address at all', async () => {
    const { lookup } = guard({ 'odd.example.com': [v4('not-an-ip')] });
    expect((await lookUp(lookup, 'odd.example.com')).error?.code).toBe('EFORBIDDENADDRESS');
  });

  it.each(['localhost', 'LOCALHOST', 'localhost.', 'hooks.localhost', 'a.b.Localhost.'])(
    'refuses %s as this machine before any lookup',
    async (hostname) => {
      const { lookup, asked } = guard({ [hostname]: PUBLIC });
      const result = await lookUp(lookup, hostname, { all: true });
      expect(result.error).toMatchObject({
        code: 'EFORBIDDENADDRESS',
        message: `${hostname} is this machine`,
      });
      expect(asked).toEqual([]);
    },
  );

  it('calls back a refused localhost name asynchronously, as a lookup must', async () => {
    const { lookup } = guard({});
    let called = false;
    lookup('localhost', {}, () => {
      called = true;
    });
    expect(called).toBe(false);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(called).toBe(true);
  });

  it.each(['localhost.example.com', 'mylocalhost', 'localhostx'])(
    'looks %s up like any other name',
    async (hostname) => {
      const { lookup, asked } = guard({ [hostname]: PUBLIC });
      expect(await lookUp(lookup, hostname)).toEqual({ error: null, address: '1.1.1.1', family: 4 });
      expect(asked.map((entry) => entry.hostname)).toEqual([hostname]);
    },
  );

  it('passes every address through when private targets are allowed, localhost names included', async () => {
    const loopback = [v4('127.0.0.1'), v6('::1')];
    const { lookup, asked } = guard(
      { localhost: loopback, 'mixed.example.com': [...PUBLIC, v4('10.0.0.1')] },
      true,
    );
    expect(await lookUp(lookup, 'localhost', { all: true })).toEqual({ error: null, addresses: loopback });
    expect(await lookUp(lookup, 'localhost')).toEqual({ error: null, address: '127.0.0.1', family: 4 });
    expect(await lookUp(lookup, 'mixed.example.com', { all: true })).toEqual({
      error: null,
      addresses: [...PUBLIC, v4('10.0.0.1')],
    });
    expect(asked.map((entry) => entry.hostname)).toEqual(['localhost', 'localhost', 'mixed.example.com']);
  });

  it.each([false, true])(
    'turns an empty answer into ENOTFOUND (private targets allowed: %s)',
    async (allow) => {
      const { lookup } = guard({ 'empty.example.com': [] }, allow);
      for (const all of [false, true]) {
        const result = await lookUp(lookup, 'empty.example.com', { all });
        expect(result.error).toMatchObject({
          code: 'ENOTFOUND',
          message: 'empty.example.com has no addresses',
        });
      }
    },
  );

  it.each(['ENOTFOUND', 'EAI_AGAIN', 'ESERVFAIL'])('passes the DNS error %s on unchanged', async (code) => {
    const failure = errno(code);
    for (const allow of [false, true]) {
      const { lookup } = guard({ 'broken.example.com': failure }, allow);
      expect(await lookUp(lookup, 'broken.example.com', { all: true })).toEqual({ error: failure });
    }
  });

  it('resolves with dns.lookup when given no resolver (an IP literal: no query leaves the machine)', async () => {
    const lookup = guardedLookup({ allowPrivateTargets: true });
    expect(await lookUp(lookup, '127.0.0.1')).toEqual({ error: null, address: '127.0.0.1', family: 4 });
    const guarded = guardedLookup({ allowPrivateTargets: false });
    expect((await lookUp(guarded, '127.0.0.1')).error?.code).toBe('EFORBIDDENADDRESS');
  });
});

describe('HttpsSender without a connection', () => {
  it('fails a request Node will not send (a header value with a line break) without throwing', async () => {
    const open = new HttpsSender({ allowPrivateTargets: true });
    try {
      // Node refuses the header before connecting; were it sent, port 1 on this machine would refuse it.
      const request = { url: 'https://127.0.0.1:1/x', headers: { 'X-Bad': 'a\r\nb' }, body: '' };
      expect(await open.send(request)).toEqual({ kind: 'error', error: 'network error: ERR_INVALID_CHAR' });
    } finally {
      open.close();
    }
  });

  const sender = new HttpsSender({ allowPrivateTargets: false });
  afterAll(() => sender.close());
  const send = (url: string) => sender.send({ url, headers: {}, body: '{}' });

  it('refuses what it will not try: a bad url, http:, a forbidden literal', async () => {
    expect(await send('not a url')).toEqual({ kind: 'error', error: 'invalid url' });
    expect(await send('http://hooks.example.com/x')).toEqual({
      kind: 'error',
      error: 'refused: url must use https',
    });
    // Were it tried, this would be a refused connection on this machine, not this answer.
    expect(await send('https://127.0.0.1:1/x')).toEqual({
      kind: 'error',
      error: 'refused: 127.0.0.1 is a forbidden address',
    });
  });
});
