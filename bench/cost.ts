/**
 * The benchmark's price list and billing rules (us-east-1 list prices, December 2026), kept apart
 * from the measuring so that every line of the cost model can be read and unit-tested.
 */

export const PRICES = {
  /** DynamoDB on-demand, per write request unit (1 KB of item, rounded up per item). */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB strongly consistent; half for eventual). */
  dynamoReadUnit: 0.125 / 1e6,
  /** DynamoDB standard table class storage, per GB-month (item size + 100 bytes overhead). */
  dynamoStorageGbMonth: 0.25,
  /** Point-in-time recovery (continuous backups), per GB-month of table size. */
  dynamoPitrGbMonth: 0.2,
  /** SQS standard queue, per request; each 64 KiB chunk of a request's payload is one request. */
  sqsRequest: 0.4 / 1e6,
  /** Lambda, per invocation. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second of duration (billed per 1 ms). */
  lambdaGbSecondArm: 0.0000133334,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsIngestGb: 0.5,
  /** CloudWatch Logs storage, per GB-month (charged on compressed bytes; raw bytes counted here). */
  logsStorageGbMonth: 0.03,
  /** X-Ray, per trace recorded. */
  xrayTrace: 5 / 1e6,
} as const;

/** Fraction of invocations X-Ray records at volume under the default rule (1/s reservoir, then 5 %). */
export const XRAY_SAMPLED_FRACTION = 0.05;

/** Lambda gives one full vCPU at 1,769 MB; below that CPU time stretches in proportion. */
export const LAMBDA_FULL_VCPU_MB = 1769;

/**
 * What Lambda's platform itself writes to CloudWatch Logs per invocation in the JSON log format
 * (`platform.start` and `platform.report` with tracing fields), measured from real log groups.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 560;

/** Days a delivery's records are kept (RETENTION_DAYS) over the days of an average month. */
export const monthsKept = (retentionDays: number) => retentionDays / 30.4375;

const GB = 1024 ** 3;
const SQS_CHUNK_BYTES = 64 * 1024;

/** SQS bills a request per 64 KiB chunk of its payload (at least one). */
export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
}

type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { SS: string[] }
  | { NS: string[] }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

/** Bytes of one DynamoDB attribute value, by DynamoDB's sizing rules. */
export function attributeValueSize(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('N' in value) {
    // Numbers are stored as up to 38 significant digits, two per byte, plus one byte.
    const digits = value.N.replace(/^-/, '').replace(/\./, '').replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if ('NS' in value) return value.NS.reduce((sum, n) => sum + attributeValueSize({ N: n }), 0);
  if ('L' in value) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeValueSize(v), 0);
  return 3 + itemSize(value.M) + Object.keys(value.M).length;
}

/** Bytes of a DynamoDB item: attribute names plus values (what capacity units are computed from). */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + attributeValueSize(value),
    0,
  );
}

/** Write request units for one item: 1 per KB, rounded up. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

export interface PerDelivery {
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  /** Bytes kept in DynamoDB per delivery (items + 100 bytes overhead each), for the retention period. */
  storedBytes: number;
  sqsBilledRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** Bytes the functions wrote to their logs, plus the platform's lines per invocation. */
  logBytes: number;
}

export interface CostLines {
  dynamoRequests: number;
  dynamoStorage: number;
  sqs: number;
  lambda: number;
  logs: number;
  xray: number;
  total: number;
}

/** Dollars per one million deliveries for the per-delivery usage given. */
export function costPerMillion(usage: PerDelivery, retentionDays: number, logRetentionDays = 30): CostLines {
  const m = 1e6;
  const dynamoRequests =
    m * (usage.dynamoReadUnits * PRICES.dynamoReadUnit + usage.dynamoWriteUnits * PRICES.dynamoWriteUnit);
  const dynamoStorage =
    ((m * usage.storedBytes) / GB) *
    (PRICES.dynamoStorageGbMonth + PRICES.dynamoPitrGbMonth) *
    monthsKept(retentionDays);
  const sqs = m * usage.sqsBilledRequests * PRICES.sqsRequest;
  const lambda =
    m * (usage.lambdaInvocations * PRICES.lambdaRequest + usage.lambdaGbSeconds * PRICES.lambdaGbSecondArm);
  const logs =
    ((m * usage.logBytes) / GB) *
    (PRICES.logsIngestGb + PRICES.logsStorageGbMonth * monthsKept(logRetentionDays));
  const xray = m * usage.lambdaInvocations * XRAY_SAMPLED_FRACTION * PRICES.xrayTrace;
  return {
    dynamoRequests,
    dynamoStorage,
    sqs,
    lambda,
    logs,
    xray,
    total: dynamoRequests + dynamoStorage + sqs + lambda + logs + xray,
  };
}

/**
 * Lambda duration of an invocation measured here, at `memoryMb` on Lambda: the time spent waiting
 * stays, the CPU time stretches by the share of a vCPU that memory buys.
 */
export function lambdaDurationMs(wallMs: number, cpuMs: number, memoryMb: number): number {
  const stretch = Math.max(1, LAMBDA_FULL_VCPU_MB / memoryMb);
  return Math.max(1, Math.ceil(Math.max(0, wallMs - cpuMs) + cpuMs * stretch));
}
