import type { Message } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { deleteMessages, messagesToDelete, toSqsEvent } from '../../../local/event-source.ts';

const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:000000000000:encrata-deliveries';

const messages: Message[] = ['m1', 'm2', 'm3'].map((id, index) => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: `{"n":${index}}`,
  MD5OfBody: `md5-${id}`,
  Attributes: {
    ApproximateReceiveCount: String(index + 1),
    SentTimestamp: '1714564800000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1714564801000',
  },
}));
const batch = toSqsEvent(messages, QUEUE_ARN).Records;
const ids = (records: { messageId: string }[]) => records.map((record) => record.messageId);

describe('toSqsEvent', () => {
  it('builds the records Lambda passes for SQS', () => {
    expect(batch).toHaveLength(3);
    expect(batch[0]).toEqual({
      messageId: 'm1',
      receiptHandle: 'rh-m1',
      body: '{"n":0}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1714564800000',
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: '1714564801000',
      },
      messageAttributes: {},
      md5OfBody: 'md5-m1',
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'eu-west-1',
    });
    expect(batch[2]?.attributes.ApproximateReceiveCount).toBe('3');
  });

  it('maps message attributes and fills defaults for what the emulator leaves out', () => {
    const [record] = toSqsEvent(
      [
        {
          MessageId: 'x',
          Body: 'b',
          MessageAttributes: { reason: { DataType: 'String', StringValue: 'why' } },
        },
      ],
      QUEUE_ARN,
    ).Records;
    expect(record?.messageAttributes).toEqual({ reason: { dataType: 'String', stringValue: 'why' } });
    expect(record?.attributes.ApproximateReceiveCount).toBe('1');
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record?.receiptHandle).toBe('');
  });

  it('is an empty batch for no messages', () => {
    expect(toSqsEvent([], QUEUE_ARN)).toEqual({ Records: [] });
  });
});

describe('messagesToDelete', () => {
  it('deletes every message when the handler reports no failures', () => {
    expect(ids(messagesToDelete(batch, { threw: false, response: { batchItemFailures: [] } }))).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it.each([undefined, null, {}])('deletes every message when the handler returns %p', (response) => {
    expect(ids(messagesToDelete(batch, { threw: false, response }))).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps the reported failures and deletes the rest', () => {
    const response = { batchItemFailures: [{ itemIdentifier: 'm2' }] };
    expect(ids(messagesToDelete(batch, { threw: false, response }))).toEqual(['m1', 'm3']);
    const two = { batchItemFailures: [{ itemIdentifier: 'm3' }, { itemIdentifier: 'm1' }] };
    expect(ids(messagesToDelete(batch, { threw: false, response: two }))).toEqual(['m2']);
  });

  it('deletes nothing when every message failed', () => {
    const response = { batchItemFailures: ids(batch).map((itemIdentifier) => ({ itemIdentifier })) };
    expect(messagesToDelete(batch, { threw: false, response })).toEqual([]);
  });

  it('deletes nothing when the handler threw', () => {
    expect(messagesToDelete(batch, { threw: true })).toEqual([]);
  });

  it.each([
    [
      'an id not in the batch',
      { batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'other' }] },
    ],
    ['an empty id', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null id', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a missing id', { batchItemFailures: [{}] }],
    ['a null entry', { batchItemFailures: [null] }],
    ['a non-array list', { batchItemFailures: 'm1' }],
  ])('deletes nothing when the response reports %s (Lambda fails the whole batch)', (_name, response) => {
    expect(messagesToDelete(batch, { threw: false, response })).toEqual([]);
  });
});

describe('deleteMessages', () => {
  /** An SQS client that answers DeleteMessageBatch with `answers` in turn (an Error is thrown). */
  function client(...answers: ({ Failed?: { Id: string }[] } | Error)[]) {
    const calls: string[][] = [];
    return {
      calls,
      send: async (command: unknown) => {
        if (!(command instanceof DeleteMessageBatchCommand)) throw new Error('unexpected command');
        calls.push((command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
        const answer = answers.shift() ?? {};
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as unknown as Parameters<typeof deleteMessages>[0] & { calls: string[][] };
  }

  it('deletes every handled message in one batch', async () => {
    const sqs = client({});
    expect(await deleteMessages(sqs, 'q', batch)).toEqual([]);
    expect(sqs.calls).toEqual([['rh-m1', 'rh-m2', 'rh-m3']]);
  });

  it('sends the entries SQS reports as failed once more, and reports those that still fail', async () => {
    const retried = client({ Failed: [{ Id: '1' }] }, {});
    expect(await deleteMessages(retried, 'q', batch)).toEqual([]);
    expect(retried.calls).toEqual([['rh-m1', 'rh-m2', 'rh-m3'], ['rh-m2']]);

    const stubborn = client({ Failed: [{ Id: '0' }, { Id: '2' }] }, { Failed: [{ Id: '1' }] });
    expect(ids(await deleteMessages(stubborn, 'q', batch))).toEqual(['m3']);
  });

  it('treats a failed request as every entry failed', async () => {
    const sqs = client(new Error('down'), new Error('still down'));
    expect(ids(await deleteMessages(sqs, 'q', batch))).toEqual(['m1', 'm2', 'm3']);
    expect(sqs.calls).toHaveLength(2);
  });
});
