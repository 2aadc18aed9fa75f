import type { ApiKeyServicePorts } from '../core/api-key-service.ts';
import type { WebhookPolicy } from '../core/webhook-service.ts';
import { dependencies } from './wiring.ts';

/** The webhook rules of this deployment, from configuration. */
export function webhookPolicy(): WebhookPolicy {
  const { config } = dependencies();
  return { maxPerWorkspace: config.maxWebhooksPerWorkspace, allowPrivateTargets: config.allowPrivateTargets };
}

/** The key service's ports. */
export function apiKeyPorts(): ApiKeyServicePorts {
  const { apiKeys, eventPublisher } = dependencies();
  return { apiKeys, publisher: eventPublisher };
}
