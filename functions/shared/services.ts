import type { ApiKeyServicePorts } from '../core/api-key-service.ts';
import type { DeliveryLogPorts } from '../core/delivery-log.ts';
import type { WebhookPolicy } from '../core/webhook-service.ts';
import { config } from './config.ts';
import { apiKeyStore, deliveryLog, eventPublisher, eventStore, webhookStore } from './wiring.ts';

/** The webhook rules of this deployment, from configuration. */
export function webhookPolicy(): WebhookPolicy {
  const cfg = config();
  return {
    maxPerWorkspace: cfg.maxWebhooksPerWorkspace,
    allowPrivateTargets: cfg.allowPrivateTargets,
    localStack: cfg.localStack,
  };
}

/** The key service's ports. */
export function apiKeyPorts(): ApiKeyServicePorts {
  return { apiKeys: apiKeyStore(), publisher: eventPublisher() };
}

/** The delivery log's ports (listing, attempts). */
export function deliveryLogPorts(): DeliveryLogPorts {
  return { webhooks: webhookStore(), log: deliveryLog(), events: eventStore() };
}
