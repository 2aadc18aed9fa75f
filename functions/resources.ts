/**
 * The resource definitions both the CDK stack (lib/) and the local stack (local/) build from,
 * so the tables and queues that run locally are the ones that are deployed: one source, no drift.
 * Pure data: no AWS SDK, no aws-cdk-lib.
 */

export type AttributeType = 'S' | 'N';

export interface KeyDefinition {
  name: string;
  type: AttributeType;
}

export interface TableDefinition {
  /** Logical name, used for the construct id and the local table name. */
  logicalName: string;
  partitionKey: KeyDefinition;
  sortKey?: KeyDefinition;
  /** Attribute holding the expiry (epoch seconds); readers filter expired items themselves. */
  ttlAttribute?: string;
  globalSecondaryIndexes?: { indexName: string; partitionKey: KeyDefinition; sortKey?: KeyDefinition }[];
}

export const TABLES = {
  /** Webhooks by workspace; plus one `#workspace` item per workspace holding its webhooks' ids (the limit). */
  webhooks: {
    logicalName: 'Webhooks',
    partitionKey: { name: 'workspace_id', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
  },
  /** Deliveries by webhook; ids sort by time, so a reverse query is newest first. */
  deliveries: {
    logicalName: 'Deliveries',
    partitionKey: { name: 'webhook_id', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    ttlAttribute: 'expires_at',
  },
  /** Events by workspace: each event's body stored once however many webhooks it fans out to. */
  events: {
    logicalName: 'Events',
    partitionKey: { name: 'workspace_id', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    ttlAttribute: 'expires_at',
  },
  /**
   * API keys by SHA-256 hash, and by workspace for listing and revoking; also dashboard sessions by the
   * hash of their token, which expire (TTL `expires_at`; keys carry none and never expire).
   */
  apiKeys: {
    logicalName: 'ApiKeys',
    partitionKey: { name: 'key_hash', type: 'S' },
    ttlAttribute: 'expires_at',
    globalSecondaryIndexes: [
      {
        indexName: 'by-workspace',
        partitionKey: { name: 'workspace_id', type: 'S' },
        sortKey: { name: 'id', type: 'S' },
      },
    ],
  },
  /** Fixed-window request counters per API key and minute. */
  rateLimits: {
    logicalName: 'RateLimits',
    partitionKey: { name: 'bucket', type: 'S' },
    ttlAttribute: 'expires_at',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof TABLES;

/** Function timeouts, in seconds; queue visibility timeouts are derived from them. */
export const FUNCTION_TIMEOUTS = {
  api: 10,
  fanout: 30,
  dispatcher: 30,
} as const;

/**
 * Function memory, in MiB. Lambda gives CPU in proportion (one vCPU at 1,769 MiB), and bills
 * memory × duration, so memory is chosen for the work that is CPU-bound (docs/operations.md, "Sizing"):
 * - api 512 (0.29 vCPU): a person waits on every cold start (a ~500 KiB bundle to compile) and on the
 *   key hash, zod parsing and SigV4 signing of each request; management traffic is small, so the cost is
 *   noise.
 * - fanout 512: per batch, up to 10 events × 50 webhooks = 500 delivery messages built, serialized and
 *   signed into 50 SendMessageBatch calls; below this a big fan-out is CPU-bound.
 * - dispatcher 1024 (0.58 vCPU): 10 deliveries at once per batch, each a TLS handshake (new origins),
 *   an HMAC of the body, JSON and SigV4 for the log writes; at 256 MiB that CPU took about 7× the wall
 *   time of a full vCPU and added to every delivery's latency. Waiting on receivers costs memory ×
 *   duration too, which is why it is not more: a batch waits for its slowest receiver (up to 5 s).
 */
export const FUNCTION_MEMORY_MB = {
  api: 512,
  fanout: 512,
  dispatcher: 1024,
} as const;

/** AWS's guidance: a queue's visibility timeout at least six times its consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * When the dispatcher leases a batch (functions/shared/sqs.ts, `afterMs`): only a run still going
 * after one sender budget (5 s) is leased. A healthy batch ends well before, so it costs no request
 * (a lease per batch was 0.1 SQS requests per delivery); a batch held by slow receivers or retried
 * writes — the runs that time out — still comes back 35 s after it started, not after 180 s.
 */
export const DISPATCHER_LEASE_AFTER_SECONDS = 5;

/** Receives beyond the number of attempts before SQS itself dead-letters a delivery message. */
export const DELIVERY_RECEIVE_HEADROOM = 5;

export interface QueueDefinition {
  logicalName: string;
  visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue (a safety net for crashes). */
  maxReceiveCount: number;
  retentionSeconds: number;
}

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

/**
 * Longest single retry delay. SQS caps a message's visibility at 12 hours counted from when it was
 * received, and the dispatcher sets it a few seconds after receipt, so 5 minutes are kept in hand.
 */
export const MAX_RETRY_DELAY_SECONDS = 12 * 60 * 60 - 300;

/** Webhooks a workspace may hold (contract §2). */
export const DEFAULT_MAX_WEBHOOKS_PER_WORKSPACE = 50;

/** Requests per minute per API key on the webhook endpoints (contract §1). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 30;

/**
 * Dashboard sessions (functions/core/sessions.ts): their own requests-per-minute budget, enough for
 * the page's live view (a read every 3 s) with room for a person's clicks, and how long one lasts.
 * Not counted towards the workspace ceiling below.
 */
export const DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE = 120;
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

/**
 * The ceiling on the webhook endpoints across all API keys of a workspace, in keys' budgets: unless
 * configured, 4 × the per-key limit (120 requests a minute).
 */
export const WORKSPACE_CEILING_IN_KEYS = 4;

/** API keys a workspace may create through the API per hour (a burst of them, then one every 6 minutes). */
export const DEFAULT_KEY_CREATIONS_PER_HOUR = 10;

/** How long a webhook may fail without a success before it is disabled (contract §5: 5 days). */
export const DEFAULT_AUTO_DISABLE_AFTER_SECONDS = 5 * 24 * 60 * 60;

/** Default retry schedule (contract §5), seconds between attempts: 8 attempts over ~27.6 h. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;

export const QUEUES = {
  events: {
    logicalName: 'Events',
    visibilityTimeoutSeconds: FUNCTION_TIMEOUTS.fanout * VISIBILITY_TIMEOUT_FACTOR,
    maxReceiveCount: 5,
    retentionSeconds: FOURTEEN_DAYS,
  },
  deliveries: {
    logicalName: 'Deliveries',
    visibilityTimeoutSeconds: FUNCTION_TIMEOUTS.dispatcher * VISIBILITY_TIMEOUT_FACTOR,
    maxReceiveCount: DEFAULT_RETRY_SCHEDULE_SECONDS.length + 1 + DELIVERY_RECEIVE_HEADROOM,
    retentionSeconds: FOURTEEN_DAYS,
  },
} as const satisfies Record<string, QueueDefinition>;

/** maxReceiveCount for a deliveries queue whose schedule has `retries` delays (attempts = retries + 1). */
export function deliveryMaxReceiveCount(retries: number): number {
  return retries + 1 + DELIVERY_RECEIVE_HEADROOM;
}

/** The SQS event source mappings: batches of up to 10, partial batch failures reported. */
export const EVENT_SOURCE_BATCH_SIZE = 10;

/**
 * Most batches each SQS event source mapping runs at once (its MaximumConcurrency; 2–1000). Without it a
 * mapping scales to 1,000 concurrent batches — the whole default account quota — and starves the API.
 * - fanout 10: a batch takes tens of milliseconds (DynamoDB and SQS only), so 10 fan out thousands of
 *   events a second; a burst waits in the events queue instead of flooding the deliveries queue.
 * - dispatcher 50: 500 deliveries in flight. At ~200 ms a batch that is ~2,500 deliveries a second; when
 *   receivers time out (5 s a batch) it is ~100 a second. docs/operations.md ("Sizing") says how to
 *   size it against a receiver outage.
 */
export const EVENT_SOURCE_MAX_CONCURRENCY = {
  fanout: 10,
  dispatcher: 50,
} as const;

/** Names of the environment variables the functions read (functions/shared/config.ts). */
export const ENV = {
  webhooksTable: 'ENCRATA_WEBHOOKS_TABLE',
  deliveriesTable: 'ENCRATA_DELIVERIES_TABLE',
  eventsTable: 'ENCRATA_EVENTS_TABLE',
  apiKeysTable: 'ENCRATA_API_KEYS_TABLE',
  rateLimitsTable: 'ENCRATA_RATE_LIMITS_TABLE',
  eventsQueueUrl: 'ENCRATA_EVENTS_QUEUE_URL',
  eventsDlqUrl: 'ENCRATA_EVENTS_DLQ_URL',
  deliveriesQueueUrl: 'ENCRATA_DELIVERIES_QUEUE_URL',
  deliveriesDlqUrl: 'ENCRATA_DELIVERIES_DLQ_URL',
  secretKeyArn: 'ENCRATA_SECRET_KEY_ARN',
  secretKey: 'ENCRATA_SECRET_KEY',
  retrySchedule: 'ENCRATA_RETRY_SCHEDULE',
  allowPrivateTargets: 'ENCRATA_ALLOW_PRIVATE_TARGETS',
  maxWebhooks: 'ENCRATA_MAX_WEBHOOKS',
  rateLimitPerMinute: 'ENCRATA_RATE_LIMIT_PER_MINUTE',
  workspaceRateLimitPerMinute: 'ENCRATA_WORKSPACE_RATE_LIMIT_PER_MINUTE',
  keyCreationsPerHour: 'ENCRATA_KEY_CREATIONS_PER_HOUR',
  dynamodbEndpoint: 'ENCRATA_DYNAMODB_ENDPOINT',
  sqsEndpoint: 'ENCRATA_SQS_ENDPOINT',
  /** Local stack only: extra CA certificates (PEM) the sender trusts, e.g. the local receiver's. */
  extraCaFile: 'ENCRATA_EXTRA_CA_FILE',
  autoDisableAfterSeconds: 'ENCRATA_AUTO_DISABLE_AFTER_SECONDS',
  /** Set (to 1) only by the local stack: messages may then name local-only switches. Never set by CDK. */
  localStack: 'ENCRATA_LOCAL_STACK',
} as const;
