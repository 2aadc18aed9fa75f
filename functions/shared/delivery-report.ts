import type { DispatchResult } from '../core/dispatch.ts';
import { logger, MetricUnit, metrics } from './observability.ts';

const METRIC_OF_OUTCOME = {
  delivered: 'DeliverySucceeded',
  retry: 'DeliveryRetried',
  failed: 'DeliveryFailed',
  stopped: 'DeliveryStopped',
  skipped: 'DeliverySkipped',
  throttled: 'DeliveryThrottled',
  error: 'DeliveryErrors',
} as const satisfies Record<DispatchResult['outcome'], string>;

/**
 * What a dispatcher batch did, told once: one line for the batch at INFO, one line per delivery that
 * did not simply succeed (with its ids), and one metric per outcome, published once per batch.
 */
export function reportDispatch(results: DispatchResult[]): void {
  const counts: Record<string, number> = {};
  for (const result of results) {
    counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    if (result.webhookDisabled) {
      logger.warn('webhook disabled: failing', {
        workspace_id: result.message.workspace_id,
        webhook_id: result.message.webhook_id,
      });
      metrics.addMetric('WebhooksDisabled', MetricUnit.Count, 1);
    }
    if (result.outcome === 'delivered') {
      const created = Date.parse(result.message.created_at);
      if (Number.isFinite(created)) {
        metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, Math.max(0, Date.now() - created));
      }
      continue;
    }
    const row = result.row;
    const fields = {
      workspace_id: result.message.workspace_id,
      webhook_id: result.message.webhook_id,
      delivery_id: result.message.delivery_id,
      attempt: row?.attempts,
      reason: result.reason,
      ...(row?.response_status !== undefined ? { response_status: row.response_status } : {}),
      ...(row?.error !== undefined && row.kind === 'attempt' ? { error: row.error } : {}),
      ...(result.delaySeconds !== undefined ? { retry_in_s: result.delaySeconds } : {}),
    };
    if (result.outcome === 'error')
      logger.error('delivery could not be processed', { ...fields, error: result.error });
    else if (result.outcome === 'failed') logger.warn('delivery failed for good', fields);
    else if (result.outcome === 'skipped') logger.debug('delivery message skipped', fields);
    else if (result.outcome === 'throttled') logger.info('delivery waits: over its rate limit', fields);
    else logger.info(result.outcome === 'retry' ? 'delivery attempt failed' : 'delivery stopped', fields);
  }
  for (const [outcome, n] of Object.entries(counts)) {
    metrics.addMetric(METRIC_OF_OUTCOME[outcome as keyof typeof METRIC_OF_OUTCOME], MetricUnit.Count, n);
  }
  logger.info('batch dispatched', { records: results.length, ...counts });
  metrics.publishStoredMetrics();
}
