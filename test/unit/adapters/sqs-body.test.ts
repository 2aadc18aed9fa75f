import fc from 'fast-check';
import { toSqsBody } from '../../../functions/adapters/sqs/queues.ts';

/** What SQS accepts (and the local emulator: nothing beyond U+FFFF). */
const SQS_SAFE = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD]*$/;

describe('toSqsBody', () => {
  it('escapes what SQS refuses, and the JSON parses back to the same value', () => {
    const value = { name: 'a\uFFFEb\uFFFF 😀 é \u{10FFFE}', lone: '\uD800' };
    const body = toSqsBody(JSON.stringify(value));
    expect(body).toMatch(SQS_SAFE);
    expect(body).toContain('\\ufffe');
    expect(body).toContain('\\ud83d\\ude00');
    expect(JSON.parse(body)).toEqual(value);
  });

  it('leaves everything else as it was', () => {
    const json = JSON.stringify({ text: 'plain ASCII, é, ü, 中文, \u007f' });
    expect(toSqsBody(json)).toBe(json);
  });

  it('makes any JSON value SQS-safe without changing it (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        const input = { value, text };
        const body = toSqsBody(JSON.stringify(input));
        expect(body).toMatch(SQS_SAFE);
        expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(input)));
      }),
    );
  });
});
