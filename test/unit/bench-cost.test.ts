import {
  costPerMillion,
  itemSize,
  lambdaDurationMs,
  PRICES,
  sqsBilledRequests,
  writeUnits,
} from '../../bench/cost.ts';

/** The benchmark's billing rules: a wrong rule would print a wrong price. */
describe('bench cost model', () => {
  it('sizes items by DynamoDB rules: names plus values', () => {
    expect(itemSize({ id: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4); // 5 digits → 3 bytes + 1
    expect(itemSize({ ok: { BOOL: true }, no: { NULL: true } })).toBe(2 + 1 + 2 + 1);
    expect(itemSize({ l: { L: [{ S: 'ab' }, { S: 'c' }] } })).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(itemSize({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + 1 + (1 + 2));
    expect(itemSize({ s: { S: 'é' } })).toBe(1 + 2); // UTF-8 bytes, not characters
  });

  it('rounds writes up per KB and SQS requests up per 64 KiB chunk', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(sqsBilledRequests(0)).toBe(1);
    expect(sqsBilledRequests(64 * 1024)).toBe(1);
    expect(sqsBilledRequests(64 * 1024 + 1)).toBe(2);
  });

  it('stretches CPU time by the vCPU share of the memory, keeps waiting time', () => {
    expect(lambdaDurationMs(10, 0, 256)).toBe(10);
    expect(lambdaDurationMs(10, 2, 1769)).toBe(10);
    expect(lambdaDurationMs(10, 2, 256)).toBe(Math.ceil(8 + 2 * (1769 / 256)));
    expect(lambdaDurationMs(0.2, 0.1, 1769)).toBe(1); // billed per ms, at least one
  });

  it('prices every line per million deliveries', () => {
    const lines = costPerMillion(
      {
        dynamoReadUnits: 1,
        dynamoWriteUnits: 1,
        storedBytes: 1024 ** 3 / 1e6,
        sqsBilledRequests: 1,
        lambdaInvocations: 1,
        lambdaGbSeconds: 1,
        logBytes: 1024 ** 3 / 1e6,
      },
      30.4375,
      30.4375,
    );
    expect(lines.dynamoRequests).toBeCloseTo(0.125 + 0.625, 9);
    expect(lines.dynamoStorage).toBeCloseTo(PRICES.dynamoStorageGbMonth + PRICES.dynamoPitrGbMonth, 9);
    expect(lines.sqs).toBeCloseTo(0.4, 9);
    expect(lines.lambda).toBeCloseTo(0.2 + 1e6 * PRICES.lambdaGbSecondArm, 6);
    expect(lines.logs).toBeCloseTo(PRICES.logsIngestGb + PRICES.logsStorageGbMonth, 9);
    expect(lines.xray).toBeCloseTo(0.05 * 5, 9);
    expect(lines.total).toBeCloseTo(
      lines.dynamoRequests + lines.dynamoStorage + lines.sqs + lines.lambda + lines.logs + lines.xray,
      9,
    );
  });
});
