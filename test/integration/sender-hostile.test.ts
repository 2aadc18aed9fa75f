import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsSender } from '../../functions/adapters/http/sender.ts';
import { ATTEMPT_TIMEOUT_MS, type AttemptOutcome } from '../../functions/core/attempt.ts';
import { MAX_RESPONSE_BODY_BYTES } from '../../functions/core/deliveries.ts';
import { createLocalCertificate } from '../../local/certificates.ts';
import { answer, HostileReceiver } from '../support/hostile-receiver.ts';

/** Fake timers only (Node's sockets do not use them): the tests move the clock, the rest stays real. */
const ONLY_TIMERS = {
  doNotFake: [
    'nextTick',
    'setImmediate',
    'clearImmediate',
    'queueMicrotask',
    'hrtime',
    'performance',
    'Date',
  ],
} satisfies Parameters<typeof jest.useFakeTimers>[0];

/**
 * Every way a receiver can end (or not end) an attempt, against a real TLS receiver on 127.0.0.1
 * that writes raw HTTP/1.1. Each attempt must end by itself as a failure with a reason (or, for a
 * real 2xx in time, a success), and the connection must be gone afterwards. Attempts that must
 * run out of time get a short budget so the suite stays fast; the others get the default 5 s
 * (contract §5), so a slow moment on a shared machine cannot fail them.
 */
const BUDGET_MS = 500;
const TIMEOUT = `timeout: no complete answer within ${BUDGET_MS} ms`;
const BODY = '{"event":"test","data":{"name":"Zoë"}}';

describe('HttpsSender against hostile receivers', () => {
  let receiver: HostileReceiver;
  let caFile: string;
  /** 5 s, for attempts that must end by themselves. */
  let sender: HttpsSender;
  /** BUDGET_MS, for attempts that must run out of time. */
  let impatient: HttpsSender;
  const pending: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    caFile = join(tmpdir(), `sender-hostile-${process.pid}.pem`);
    writeFileSync(caFile, tls.cert);
    receiver = await new HostileReceiver(tls).start();
    sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    impatient = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile, timeoutMs: BUDGET_MS });
  });

  afterAll(async () => {
    for (const timer of pending) clearInterval(timer);
    sender.close();
    impatient.close();
    await receiver.stop();
  });

  const send = (url: string, target = sender) =>
    target.send({ url, headers: { 'Content-Type': 'application/json' }, body: BODY });

  /** The connection the path's (only) request came on; resolves once the sender dropped it. */
  const connectionOf = (path: string) => {
    const requests = receiver.received(path);
    expect(requests).toHaveLength(1);
    const connection = receiver.connections[(requests[0]?.connection ?? 0) - 1];
    if (!connection) throw new Error(`no connection for ${path}`);
    return connection;
  };

  it('ends an attempt answered 101 Switching Protocols (an upgrade) at once, and drops the connection', async () => {
    const url = receiver.on('/upgrade', (socket) =>
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
    );
    expect(await send(url)).toEqual({
      kind: 'error',
      error: 'receiver answered 101 Switching Protocols, not an answer',
    });
    await connectionOf('/upgrade').closed;
  });

  it('fails a bare 101 without an upgrade as a non-2xx answer', async () => {
    const url = receiver.on('/bare-101', (socket) =>
      socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n'),
    );
    expect(await send(url)).toMatchObject({ kind: 'response', status: 101 });
  });

  it('waits past informational answers for the real one', async () => {
    const url = receiver.on('/early-hints', (socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n');
      socket.write('HTTP/1.1 102 Processing\r\n\r\n');
      socket.write(answer(204));
    });
    expect(await send(url)).toMatchObject({ kind: 'response', status: 204 });
  });

  it.each([
    ['100 Continue and nothing more', '/continue', 'HTTP/1.1 100 Continue\r\n\r\n'],
    ['only the status line', '/status-line', 'HTTP/1.1 200 OK\r\n'],
    ['headers of a body that never comes', '/no-body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
    ['nothing at all', '/silent', ''],
  ])(
    'ends an attempt answered with %s at the deadline, and drops the connection',
    async (_name, path, bytes) => {
      const url = receiver.on(path, (socket) => {
        if (bytes) socket.write(bytes);
      });
      expect(await send(url, impatient)).toEqual({ kind: 'error', error: TIMEOUT });
      await connectionOf(path).closed;
    },
  );

  it('ends a drip-fed body at the deadline: one byte every 20 ms', async () => {
    const url = receiver.on('/drip', (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
      pending.push(setInterval(() => socket.writable && socket.write('x'), 20));
    });
    expect(await send(url, impatient)).toEqual({ kind: 'error', error: TIMEOUT });
    await connectionOf('/drip').closed;
  });

  it('ends drip-fed headers at the deadline: one byte every 10 ms', async () => {
    const head = `HTTP/1.1 200 OK\r\n${'X-Padding: yes\r\n'.repeat(500)}Content-Length: 0\r\n\r\n`;
    const url = receiver.on('/drip-head', (socket) => {
      let at = 0;
      pending.push(setInterval(() => socket.writable && socket.write(head.charAt(at++)), 10));
    });
    expect(await send(url, impatient)).toEqual({ kind: 'error', error: TIMEOUT });
    await connectionOf('/drip-head').closed;
  });

  it('reads 4 KiB of a 50 MiB answer and drops the connection instead of reading the rest', async () => {
    const total = 50 * 1024 * 1024;
    let finished = false;
    const url = receiver.on('/huge', (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const more = () => {
        while (sent < total && socket.writable) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', more);
        }
        if (sent >= total) finished = true;
      };
      more();
    });
    const outcome = await send(url);
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(outcome.kind === 'response' && outcome.body).toEqual(Buffer.alloc(MAX_RESPONSE_BODY_BYTES, 'a'));
    // The sender hung up: the receiver could not hand over its 50 MiB (a sender draining the
    // answer keeps the connection and lets the receiver finish).
    await Promise.race([
      connectionOf('/huge').closed,
      new Promise((resolve) => pending.push(setInterval(() => finished && resolve(undefined), 5))),
    ]);
    expect(finished).toBe(false);
    expect(connectionOf('/huge').written()).toBeLessThan(total);
  });

  it('stops reading once it has exactly 4 KiB, even if the answer would go on', async () => {
    const url = receiver.on('/exactly-4k', (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${2 * MAX_RESPONSE_BODY_BYTES}\r\n\r\n`);
      socket.write('b'.repeat(MAX_RESPONSE_BODY_BYTES)); // and the second half never comes
    });
    const outcome = await send(url);
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(outcome.kind === 'response' && outcome.body.toString()).toBe('b'.repeat(MAX_RESPONSE_BODY_BYTES));
    await connectionOf('/exactly-4k').closed;
  });

  it('keeps a body one byte under 4 KiB whole, and a short one as it is', async () => {
    const under = 'c'.repeat(MAX_RESPONSE_BODY_BYTES - 1);
    const url = receiver.on('/under-4k', (socket) => socket.write(answer(200, under)));
    expect(await send(url)).toEqual({ kind: 'response', status: 200, body: Buffer.from(under) });
    const short = receiver.on('/short', (socket) =>
      socket.write(answer(503, 'busy', { 'Retry-After': '120' })),
    );
    expect(await send(short)).toEqual({
      kind: 'response',
      status: 503,
      body: Buffer.from('busy'),
      retryAfter: '120',
    });
  });

  it('counts an answer late in the budget that completes in time as a success', async () => {
    const budget = 2000;
    const patient = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile, timeoutMs: budget });
    const started = performance.now();
    const url = receiver.on('/late', (socket) => {
      const wait = Math.max(0, budget * 0.6 - (performance.now() - started));
      pending.push(setTimeout(() => socket.write(answer(200, 'late')), wait));
    });
    try {
      expect(await send(url, patient)).toEqual({ kind: 'response', status: 200, body: Buffer.from('late') });
      expect(performance.now() - started).toBeGreaterThanOrEqual(budget * 0.6);
    } finally {
      patient.close();
    }
  });

  it('reports a reset by the receiver as a failure', async () => {
    const url = receiver.on('/reset', (socket) => socket.destroy());
    expect(await send(url)).toEqual({ kind: 'error', error: 'connection reset by the receiver' });
  });

  it('reports a reset in the middle of the body as a failure at once, with one request', async () => {
    const url = receiver.on('/reset-mid-body', (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b');
      socket.destroy();
    });
    expect(await send(url)).toEqual({ kind: 'error', error: 'connection reset by the receiver' });
    expect(receiver.received('/reset-mid-body')).toHaveLength(1);
  });

  it('reports an answer that is not HTTP as a failure, without a second try on a reused connection', async () => {
    let n = 0;
    const url = receiver.on('/garbage', (socket) => {
      n++;
      socket.write(n === 1 ? answer(200, 'ok') : 'SMTP ready\r\n\r\n');
    });
    const fresh = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    try {
      expect(await send(url, fresh)).toMatchObject({ kind: 'response', status: 200 });
      // The second request goes over the kept-alive connection: its error is the receiver's answer.
      expect(await send(url, fresh)).toEqual({ kind: 'error', error: 'network error: HPE_INVALID_CONSTANT' });
      expect(receiver.received('/garbage').map((request) => request.connection)).toEqual([
        expect.any(Number),
        receiver.received('/garbage')[0]?.connection,
      ]);
    } finally {
      fresh.close();
    }
  });

  it('leaves no timer behind once an attempt is over', async () => {
    jest.useFakeTimers(ONLY_TIMERS);
    try {
      const url = receiver.on('/quick', (socket) => socket.write(answer(200, 'ok')));
      expect(await send(url)).toMatchObject({ kind: 'response', status: 200 });
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops its kept-alive connections when closed', async () => {
    const url = receiver.on('/kept', (socket) => socket.write(answer(200, 'ok')));
    const closing = new HttpsSender({ allowPrivateTargets: true, extraCaFile: caFile });
    expect(await send(url, closing)).toMatchObject({ kind: 'response', status: 200 });
    closing.close();
    await connectionOf('/kept').closed;
  });

  it('sends an exact Content-Length (bytes, not characters) and never chunks', async () => {
    const url = receiver.on('/length', (socket) => socket.write(answer(200)));
    await send(url);
    const [request] = receiver.received('/length');
    expect(request?.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
    expect(request?.headers['content-length']).not.toBe(String(BODY.length));
    expect(request?.headers['transfer-encoding']).toBeUndefined();
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body.toString('utf8')).toBe(BODY);
  });
});

describe('HttpsSender before the receiver speaks HTTP', () => {
  let tcp: TcpServer;
  const sockets: import('node:net').Socket[] = [];
  const closed: Promise<void>[] = [];

  beforeAll(async () => {
    // Accepts TCP and never says a word: the TLS handshake hangs.
    tcp = createTcpServer((socket) => {
      sockets.push(socket);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.on('error', () => {});
      socket.resume(); // reads (and drops) the ClientHello, so it notices when the sender hangs up
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  });

  it('ends an attempt whose TLS handshake never completes at the deadline, and drops the connection', async () => {
    const sender = new HttpsSender({ allowPrivateTargets: true, timeoutMs: BUDGET_MS });
    try {
      const url = `https://127.0.0.1:${(tcp.address() as AddressInfo).port}/hook`;
      expect(await sender.send({ url, headers: {}, body: '{}' })).toEqual({ kind: 'error', error: TIMEOUT });
      expect(sockets).toHaveLength(1);
      await closed[0];
    } finally {
      sender.close();
    }
  });

  it('gives an attempt 5 s by default: still open at 4999 ms, over at 5000 ms', async () => {
    // Only the timers are fake (Node's sockets do not use them): the test moves the clock.
    jest.useFakeTimers(ONLY_TIMERS);
    const sender = new HttpsSender({ allowPrivateTargets: true });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const connected = new Promise((resolve) => tcp.once('connection', resolve));
      let outcome: AttemptOutcome | undefined;
      const url = `https://127.0.0.1:${(tcp.address() as AddressInfo).port}/hook`;
      const attempt = sender.send({ url, headers: {}, body: '{}' }).then((result) => {
        outcome = result;
      });
      await connected;
      jest.advanceTimersByTime(ATTEMPT_TIMEOUT_MS - 1);
      await turn();
      expect(outcome).toBeUndefined();
      jest.advanceTimersByTime(1);
      await attempt;
      expect(outcome).toEqual({ kind: 'error', error: 'timeout: no complete answer within 5000 ms' });
    } finally {
      jest.useRealTimers();
      sender.close();
    }
  });

  it('refuses http: (before any connection: the https client would not even take it)', async () => {
    const sender = new HttpsSender({ allowPrivateTargets: true, timeoutMs: BUDGET_MS });
    try {
      const url = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/hook`;
      expect(await sender.send({ url, headers: {}, body: '{}' })).toEqual({
        kind: 'error',
        error: 'refused: url must use https',
      });
    } finally {
      sender.close();
    }
  });
});
