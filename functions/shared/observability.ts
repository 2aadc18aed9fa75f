import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Logging and metrics, set up once per process. Correlation keys (workspace, webhook, delivery,
 * attempt) go on the lines that need them; the Lambda context is not repeated on every line (the
 * platform's own report line has the request id). Secrets, API keys and signatures are never passed
 * to the logger; the redaction below is a second line of defence.
 */
const SECRET_PATTERNS = [/whsec_[0-9a-f]{64}/g, /enc_live_[A-Za-z0-9]{32}/g];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((acc, pattern) => acc.replace(pattern, '[REDACTED]'), text);
}

/** Level, message, time, trace and the line's own keys: what a reader needs, nothing repeated. */
class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'encrata-webhooks',
  logFormatter: new CompactLogFormatter(),
  jsonReplacerFn: (_key: string, value: unknown) => (typeof value === 'string' ? redact(value) : value),
});

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Encrata/Webhooks',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'encrata-webhooks',
});

export { MetricUnit };
