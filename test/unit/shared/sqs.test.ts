/**
 * The SQS handler factory (functions/shared/sqs.ts) with its dead-letter side passed in: invalid
 * messages go to the DLQ with their reason and never fail their neighbours; what could not be moved,
 * and what the handler keeps or throws on, comes back (batch item failures).
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { parseBody, sqsBatchHandler } from '../../../functions/shared/sqs.ts';

const schema = z.object({ n: z.number() });

function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:0:q',
    awsRegion: 'us-east-1',
  };
}

const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const failures = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();

function setup(
  options: { deadLetter?: (items: { body: string; reason: string }[]) => Promise<number[]> } = {},
) {
  const deadLettered: { body: string; reason: string }[] = [];
  const invalid: string[] = [];
  const errors: unknown[] = [];
  const handled: number[][] = [];
  const make = (handle: (values: number[]) => Promise<string[]>) =>
    sqsBatchHandler(
      {
        schema,
        deadLetter:
          options.deadLetter ??
          (async (items) => {
            deadLettered.push(...items);
            return [];
          }),
        onInvalid: (r) => invalid.push(r.messageId),
        onError: (error) => errors.push(error),
      },
      async (records) => {
        handled.push(records.map((r) => r.message.n));
        return handle(records.map((r) => r.message.n));
      },
    );
  return { make, deadLettered, invalid, errors, handled };
}

describe('parseBody', () => {
  it('names why a body can never be processed', () => {
    expect(parseBody(schema, 'not json')).toEqual({ ok: false, reason: 'message body is not valid JSON' });
    expect(parseBody(schema, '{"n":"x"}')).toEqual({ ok: false, reason: expect.stringMatching(/^n: /) });
    expect(parseBody(schema, '[]')).toEqual({ ok: false, reason: expect.stringMatching(/^\(root\): /) });
    expect(parseBody(schema, '{"n":3}')).toEqual({ ok: true, value: { n: 3 } });
  });

  it('turns a schema that throws (a hostile, deeply nested body) into a reason instead of a retry', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const throwing = {
      safeParse: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    };
    expect(parseBody(throwing, deep)).toEqual({
      ok: false,
      reason: 'message body could not be validated (RangeError)',
    });
  });

  it('bounds the reason to 1000 characters', () => {
    const many = z.object(
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field_${i}`, z.string()])),
    );
    const result = parseBody(many, '{}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThanOrEqual(1000);
  });
});

describe('sqsBatchHandler', () => {
  it('moves an invalid message to the DLQ with its reason and handles its valid neighbours as one batch', async () => {
    const { make, deadLettered, invalid, handled } = setup();
    const response = await make(async () => [])(
      sqsEvent(record('a', '{"n":1}'), record('b', '{"n":"x"}'), record('c', '{"n":3}')),
    );
    expect(failures(response)).toEqual([]);
    expect(deadLettered).toEqual([{ body: '{"n":"x"}', reason: expect.stringMatching(/^n: /) }]);
    expect(invalid).toEqual(['b']);
    expect(handled).toEqual([[1, 3]]);
  });

  it('keeps an invalid message whose move to the DLQ failed, so it is not lost', async () => {
    const partly = setup({ deadLetter: async (items) => items.map((_, i) => i).filter((i) => i === 1) });
    const response = await partly.make(async () => [])(
      sqsEvent(record('a', 'x'), record('b', 'y'), record('c', '{"n":3}')),
    );
    expect(failures(response)).toEqual(['b']);

    const down = setup({
      deadLetter: async () => {
        throw new Error('DLQ unreachable');
      },
    });
    const all = await down.make(async () => [])(
      sqsEvent(record('a', 'x'), record('b', 'y'), record('c', '{"n":3}')),
    );
    expect(failures(all)).toEqual(['a', 'b']);
  });

  it('reports what the handler keeps, and every valid message when it throws', async () => {
    const keeping = setup();
    const kept = await keeping.make(async () => ['c'])(
      sqsEvent(record('a', '{"n":1}'), record('c', '{"n":3}')),
    );
    expect(failures(kept)).toEqual(['c']);

    const throwing = setup();
    const boom = new Error('boom');
    const response = await throwing.make(async () => {
      throw boom;
    })(sqsEvent(record('a', '{"n":1}'), record('b', 'bad'), record('c', '{"n":3}')));
    // The invalid one is in the DLQ already; the valid ones all come back.
    expect(failures(response)).toEqual(['a', 'c']);
    expect(throwing.errors).toEqual([boom]);
    expect(throwing.deadLettered).toHaveLength(1);
  });

  it('does not call the handler for a batch with nothing valid', async () => {
    const { make, handled } = setup();
    await make(async () => [])(sqsEvent(record('a', 'x')));
    expect(handled).toEqual([]);
  });
});

describe('the lease on a batch', () => {
  const make = (
    hide: (items: { handle: string; delaySeconds: number }[]) => Promise<unknown>,
    handle: () => Promise<string[]>,
    errors: unknown[] = [],
  ) =>
    sqsBatchHandler(
      {
        schema,
        deadLetter: async () => [],
        onError: (error) => errors.push(error),
        lease: { seconds: 35, hide },
      },
      handle,
    );

  it('hides every valid record for the lease before the handler starts, so a crash brings them back then', async () => {
    const hidden: { handle: string; delaySeconds: number }[][] = [];
    let hiddenWhenHandled: number | undefined;
    const handler = make(
      async (items) => {
        hidden.push(items);
      },
      async () => {
        hiddenWhenHandled = hidden.length;
        return [];
      },
    );
    await handler(sqsEvent(record('a', '{"n":1}'), record('bad', 'nope'), record('b', '{"n":2}')));
    expect(hidden).toEqual([
      [
        { handle: 'rh-a', delaySeconds: 35 },
        { handle: 'rh-b', delaySeconds: 35 },
      ],
    ]);
    expect(hiddenWhenHandled).toBe(1);
  });

  it('is best effort: a failed lease is reported and the batch is handled all the same', async () => {
    const errors: unknown[] = [];
    let handled = false;
    const handler = make(
      async () => {
        throw new Error('SQS is down');
      },
      async () => {
        handled = true;
        return [];
      },
      errors,
    );
    expect(failures(await handler(sqsEvent(record('a', '{"n":1}'))))).toEqual([]);
    expect(handled).toBe(true);
    expect(errors).toEqual([new Error('SQS is down')]);
  });

  describe('taken only if the run outlives afterMs', () => {
    const deferred = (
      hide: (items: { handle: string; delaySeconds: number }[]) => Promise<unknown>,
      handle: () => Promise<string[]>,
    ) =>
      sqsBatchHandler(
        { schema, deadLetter: async () => [], lease: { seconds: 35, hide, afterMs: 40 } },
        handle,
      );
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('costs no request when the run ends first, and leaves no timer behind', async () => {
      let hides = 0;
      const handler = deferred(
        async () => {
          hides++;
        },
        async () => [],
      );
      await handler(sqsEvent(record('a', '{"n":1}')));
      await sleep(80);
      expect(hides).toBe(0);
    });

    it('hides the valid records once the run has gone on that long, and the run ends after it', async () => {
      const hidden: { handle: string; delaySeconds: number }[][] = [];
      let leaseDone = false;
      const handler = deferred(
        async (items) => {
          hidden.push(items);
          await sleep(30);
          leaseDone = true;
        },
        // Slower than afterMs: the lease is taken while it runs, and its request is awaited.
        async () => {
          await sleep(60);
          return [];
        },
      );
      await handler(sqsEvent(record('a', '{"n":1}'), record('bad', 'nope'), record('b', '{"n":2}')));
      expect(hidden).toEqual([
        [
          { handle: 'rh-a', delaySeconds: 35 },
          { handle: 'rh-b', delaySeconds: 35 },
        ],
      ]);
      expect(leaseDone).toBe(true);
    });

    it('never holds the handler back: it starts before any lease', async () => {
      let hides = 0;
      let started = -1;
      const handler = deferred(
        async () => {
          hides++;
        },
        async () => {
          started = hides;
          return [];
        },
      );
      await handler(sqsEvent(record('a', '{"n":1}')));
      expect(started).toBe(0);
    });
  });
});
