import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoApiKeyStore } from '../adapters/dynamodb/api-key-store.ts';
import { createDocumentClient } from '../adapters/dynamodb/client.ts';
import { DynamoDeliveryStore } from '../adapters/dynamodb/delivery-store.ts';
import { CachedEventStore } from '../adapters/dynamodb/event-body-cache.ts';
import { DynamoEventStore } from '../adapters/dynamodb/event-store.ts';
import { DynamoRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { DynamoWebhookStore } from '../adapters/dynamodb/webhook-store.ts';
import { HttpsSender } from '../adapters/http/sender.ts';
import { AesGcmSecretBox, secretsManagerKey } from '../adapters/secrets/secret-box.ts';
import { cachedSecretResolver } from '../adapters/secrets/secret-cache.ts';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsDeliveryQueue, SqsEventPublisher } from '../adapters/sqs/queues.ts';
import { type Config, config } from './config.ts';

/**
 * The adapters of this container, created once (at first use) and shared by every invocation:
 * SDK clients keep their connections warm between requests.
 */
function wire(cfg: Config) {
  const db = createDocumentClient(cfg.endpoints.dynamodb);
  const sqs = createSqsClient(cfg.endpoints.sqs);
  const secretKey = cfg.secretKey;
  const loadKey =
    'hex' in secretKey
      ? async () => secretKey.hex
      : secretsManagerKey(new SecretsManagerClient({ maxAttempts: 3 }), secretKey.arn);
  const secretBox = new AesGcmSecretBox(loadKey);
  const events = new DynamoEventStore(db, cfg.tables.events);
  return {
    config: cfg,
    db,
    sqs,
    webhooks: new DynamoWebhookStore(db, cfg.tables.webhooks),
    deliveries: new DynamoDeliveryStore(db, cfg.tables.deliveries),
    events,
    /** For the dispatcher: event bodies are immutable and read once per webhook, so they are cached. */
    cachedEvents: new CachedEventStore(events),
    apiKeys: new DynamoApiKeyStore(db, cfg.tables.apiKeys),
    rateLimiter: new DynamoRateLimiter(db, cfg.tables.rateLimits),
    secretBox,
    secrets: cachedSecretResolver(secretBox),
    sender: new HttpsSender({ allowPrivateTargets: cfg.allowPrivateTargets, extraCaFile: cfg.extraCaFile }),
    deliveryQueue: new SqsDeliveryQueue(sqs, cfg.queues.deliveries),
    eventPublisher: new SqsEventPublisher(sqs, cfg.queues.events),
  };
}

export type Dependencies = ReturnType<typeof wire>;

let wired: Dependencies | undefined;

export function dependencies(): Dependencies {
  wired ??= wire(config());
  return wired;
}
