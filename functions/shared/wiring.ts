/**
 * The adapters of this container, each created once, at first use, and shared by every invocation
 * (SDK clients keep their connections warm). One getter per adapter, so that a function's bundle
 * holds only the adapters — and SDK clients — its code reaches.
 */
import { DynamoApiKeyStore } from '../adapters/dynamodb/api-key-store.ts';
import { createDocumentClient } from '../adapters/dynamodb/client.ts';
import { DynamoDeliveryLog } from '../adapters/dynamodb/delivery-log-store.ts';
import { DynamoDeliveryRateLimiter } from '../adapters/dynamodb/delivery-rate-limiter.ts';
import { CachedEventReader } from '../adapters/dynamodb/event-body-cache.ts';
import { DynamoEventReader } from '../adapters/dynamodb/event-reader.ts';
import { DynamoEventStore } from '../adapters/dynamodb/event-store.ts';
import { DynamoRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { DynamoRecoveryStore } from '../adapters/dynamodb/recovery-store.ts';
import { DynamoSessionStore } from '../adapters/dynamodb/session-store.ts';
import { CachedWebhookList, CachedWebhookReader } from '../adapters/dynamodb/subscription-cache.ts';
import { DynamoWebhookHealthStore } from '../adapters/dynamodb/webhook-health-store.ts';
import { DynamoWebhookStore } from '../adapters/dynamodb/webhook-store.ts';
import { HttpsSender } from '../adapters/http/sender.ts';
import { cachedSecretResolver } from '../adapters/secrets/secret-cache.ts';
import { createSqsClient } from '../adapters/sqs/client.ts';
import {
  SqsDeliveryQueue,
  SqsDeliveryQueueControl,
  SqsEventPublisher,
  SqsTaskQueue,
} from '../adapters/sqs/queues.ts';
import { config } from './config.ts';
import { secretBox } from './secret-key.ts';

/** What every AWS SDK client is passed through when made; tracing.ts installs X-Ray capture. */
type Instrument = <C extends object>(client: C) => C;
let instrument: Instrument = (client) => client;

/**
 * Has every SDK client made from now on passed through `wrap` (e.g. X-Ray capture). Called at import
 * time by functions/shared/tracing.ts, before any getter has made a client.
 */
export function instrumentClients(wrap: Instrument): void {
  instrument = wrap;
}

/** An SDK client as this container makes it: instrumented, if a module asked for it. */
export function instrumented<C extends object>(client: C): C {
  return instrument(client);
}

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

export const dynamo = /* @__PURE__ */ once(() =>
  instrumented(createDocumentClient(config().endpoints.dynamodb)),
);
export const sqs = /* @__PURE__ */ once(() => instrumented(createSqsClient(config().endpoints.sqs)));

export const webhookStore = /* @__PURE__ */ once(
  () => new DynamoWebhookStore(dynamo(), config().tables.webhooks),
);
/** The dispatcher's view of a webhook: each read remembered for a second. */
export const webhookReader = /* @__PURE__ */ once(
  () => new CachedWebhookReader(new DynamoWebhookHealthStore(dynamo(), config().tables.webhooks)),
);
/** Fan-out's view of the webhooks: a workspace's list, cached for a second. */
export const webhookLists = /* @__PURE__ */ once(() => new CachedWebhookList(webhookStore()));
export const eventStore = /* @__PURE__ */ once(() => new DynamoEventStore(dynamo(), config().tables.events));
/** The dispatcher's view of events: bodies are immutable, read once per container. */
export const eventReader = /* @__PURE__ */ once(
  () => new CachedEventReader(new DynamoEventReader(dynamo(), config().tables.events)),
);
export const deliveryLog = /* @__PURE__ */ once(
  () => new DynamoDeliveryLog(dynamo(), config().tables.deliveries),
);
export const apiKeyStore = /* @__PURE__ */ once(
  () => new DynamoApiKeyStore(dynamo(), config().tables.apiKeys),
);
/** Dashboard sessions live in the API keys table, beside the keys they are minted from. */
export const sessionStore = /* @__PURE__ */ once(
  () => new DynamoSessionStore(dynamo(), config().tables.apiKeys),
);
export const rateLimiter = /* @__PURE__ */ once(
  () => new DynamoRateLimiter(dynamo(), config().tables.rateLimits),
);
export const deliveryRateLimiter = /* @__PURE__ */ once(
  () => new DynamoDeliveryRateLimiter(dynamo(), config().tables.rateLimits),
);
export const recoveryStore = /* @__PURE__ */ once(
  () => new DynamoRecoveryStore(dynamo(), config().tables.webhooks),
);

export const secrets = /* @__PURE__ */ once(() => cachedSecretResolver(secretBox()));
export const sender = /* @__PURE__ */ once(
  () =>
    new HttpsSender({ allowPrivateTargets: config().allowPrivateTargets, extraCaFile: config().extraCaFile }),
);

export const deliveryQueue = /* @__PURE__ */ once(
  () => new SqsDeliveryQueue(sqs(), config().queues.deliveries),
);
export const deliveryQueueControl = /* @__PURE__ */ once(
  () => new SqsDeliveryQueueControl(sqs(), config().queues.deliveries, config().queues.deliveriesDlq),
);
export const eventPublisher = /* @__PURE__ */ once(
  () => new SqsEventPublisher(sqs(), config().queues.events),
);
/** Recovery steps, on the events queue. */
export const taskQueue = /* @__PURE__ */ once(() => new SqsTaskQueue(sqs(), config().queues.events));
