import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Logging and metrics, set up once per process. Correlation keys (workspace, webhook, delivery,
 * attempt) are appended per request/record with `logger.appendKeys`. Secrets, API keys and
 * signatures are never passed to the logger; the redaction below is a second line of defence.
 */
const SECRET_PATTERNS = [/whsec_[0-9a-f]{64}/g, /enc_live_[A-Za-z0-9]{32}/g];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((acc, pattern) => acc.replace(pattern, '[REDACTED]'), text);
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'encrata-webhooks',
  jsonReplacerFn: (_key: string, value: unknown) => (typeof value === 'string' ? redact(value) : value),
});

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Encrata/Webhooks',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'encrata-webhooks',
});

export { MetricUnit };
