import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type FaultCounts,
  type FaultPlan,
  faultMiddleware,
  installFaults,
  seededRandom,
} from '../../../local/faults.ts';

const plan = (over: Partial<FaultPlan>): FaultPlan => ({ dynamodb: 0, sqs: 0, lost: 0, seed: 1, ...over });
const zero = (): FaultCounts => ({ calls: 0, failed: 0, lost: 0 });

describe('faultMiddleware', () => {
  it('passes a call through when the draw is above the share', async () => {
    const next = jest.fn(async () => 'answer');
    const counts = zero();
    const handler = faultMiddleware('sqs', plan({ sqs: 0.2 }), () => 0.5, counts)(next, {});
    await expect(handler({})).resolves.toBe('answer');
    expect(next).toHaveBeenCalledTimes(1);
    expect(counts).toEqual({ calls: 1, failed: 0, lost: 0 });
  });

  it('fails a call before it happens with an error the SDK retries (a reset connection)', async () => {
    const next = jest.fn(async () => 'answer');
    const counts = zero();
    const handler = faultMiddleware(
      'dynamodb',
      plan({ dynamodb: 0.2 }),
      () => 0.1,
      counts,
    )(next, {
      commandName: 'PutItemCommand',
    });
    await expect(handler({})).rejects.toMatchObject({
      name: 'TimeoutError',
      code: 'ECONNRESET',
      message: 'injected fault (ENCRATA_FAULTS): dynamodb PutItem: connection reset',
    });
    expect(next).not.toHaveBeenCalled();
    expect(counts).toEqual({ calls: 1, failed: 1, lost: 0 });
  });

  it('loses the answer of a call that took effect', async () => {
    const next = jest.fn(async () => 'answer');
    const counts = zero();
    const handler = faultMiddleware(
      'sqs',
      plan({ sqs: 1, lost: 0.5 }),
      () => 0.3,
      counts,
    )(next, {
      commandName: 'SendMessageCommand',
    });
    await expect(handler({})).rejects.toThrow('sqs SendMessage: answer lost after the call succeeded');
    expect(next).toHaveBeenCalledTimes(1);
    expect(counts).toEqual({ calls: 1, failed: 0, lost: 1 });
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, stays in [0, 1), and differs between seeds', () => {
    const a = Array.from({ length: 1000 }, seededRandom(7));
    expect(Array.from({ length: 1000 }, seededRandom(7))).toEqual(a);
    expect(Array.from({ length: 1000 }, seededRandom(8))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const share = a.filter((x) => x < 0.2).length / a.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
  });
});

/** A real SDK client against a 127.0.0.1 server speaking SQS's JSON protocol, counting what arrives. */
describe('installFaults on a real SQS client', () => {
  let server: Server;
  let endpoint: string;
  let requests = 0;
  beforeAll(async () => {
    process.env.AWS_REGION ??= 'us-east-1';
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ QueueUrl: 'http://127.0.0.1/000000000000/q' }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());
  beforeEach(() => {
    requests = 0;
  });
  const client = () =>
    new SQSClient({
      endpoint,
      region: 'us-east-1',
      maxAttempts: 3,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const call = (sqs: SQSClient) => sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }));

  it('sits inside the SDK retry loop: every attempt fails before reaching the server', async () => {
    const installed = installFaults(plan({ sqs: 1 }));
    try {
      await expect(call(client())).rejects.toThrow('injected fault (ENCRATA_FAULTS): sqs GetQueueUrl');
      expect(requests).toBe(0);
      expect(installed.counts.sqs).toEqual({ calls: 3, failed: 3, lost: 0 });
    } finally {
      installed.uninstall();
    }
  });

  it('a lost answer means the call reached the server, once per SDK attempt', async () => {
    const installed = installFaults(plan({ sqs: 1, lost: 1 }));
    try {
      await expect(call(client())).rejects.toThrow('answer lost after the call succeeded');
      expect(requests).toBe(3);
    } finally {
      installed.uninstall();
    }
  });

  it('spares exempt clients, and a client made before install still gets the middleware', async () => {
    const early = client();
    const spared = client();
    const installed = installFaults(plan({ sqs: 1 }), { exempt: [spared] });
    try {
      await expect(call(spared)).resolves.toMatchObject({ QueueUrl: 'http://127.0.0.1/000000000000/q' });
      await expect(call(early)).rejects.toThrow('injected fault');
    } finally {
      installed.uninstall();
    }
    // Uninstalled: the middleware left in the client's stack no longer injects.
    await expect(call(early)).resolves.toMatchObject({ QueueUrl: 'http://127.0.0.1/000000000000/q' });
  });
});
