import type { ApiKeyServicePorts } from '../core/api-key-service.ts';
import type { WebhookPolicy } from '../core/webhook-service.ts';
import { logger, MetricUnit, metrics } from './observability.ts';
import { dependencies } from './wiring.ts';

/** The webhook rules of this deployment, from configuration. */
export function webhookPolicy(): WebhookPolicy {
  const { config } = dependencies();
  return { maxPerWorkspace: config.maxWebhooksPerWorkspace, allowPrivateTargets: config.allowPrivateTargets };
}

/** The key service's ports: publishing failures are logged and counted, never silent. */
export function apiKeyPorts(): ApiKeyServicePorts {
  const { apiKeys, eventPublisher } = dependencies();
  return {
    apiKeys,
    publisher: eventPublisher,
    onPublishError: (error, event) => {
      logger.error('could not publish an event', { event, error });
      metrics.addMetric('EventPublishFailures', MetricUnit.Count, 1);
    },
  };
}
