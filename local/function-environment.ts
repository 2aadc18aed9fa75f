import { ENV, type TableName } from '../functions/resources.ts';

/** Where the emulated resources are (what `startEmulators` returns, or a child process reports). */
export interface EmulatedResources {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<TableName, string> | Record<string, string>;
  queues:
    | Record<'events' | 'deliveries', { url: string; dlqUrl: string }>
    | Record<string, { url: string; dlqUrl: string }>;
}

export interface FunctionSettings {
  secretKeyHex: string;
  retrySchedule: readonly number[];
  allowPrivateTargets: boolean;
  logLevel: string;
  rateLimitPerMinute?: number;
  /** The ceiling across a workspace's keys. @default the functions' (4 × rateLimitPerMinute) */
  workspaceRateLimitPerMinute?: number;
  maxWebhooks?: number;
  autoDisableAfterSeconds?: number;
  extraCaFile?: string;
}

/**
 * The environment the functions read (functions/shared/config.ts), pointing at emulated resources.
 * The local stack, the integration tests and the benchmark all build it here, as the CDK stack does
 * for AWS, and AWS SDK credentials are set to placeholders the emulators accept.
 */
export function functionEnvironment(
  resources: EmulatedResources,
  settings: FunctionSettings,
): Record<string, string> {
  const table = (name: TableName) => (resources.tables as Record<string, string>)[name] ?? '';
  const queue = (name: 'events' | 'deliveries') =>
    (resources.queues as Record<string, { url: string; dlqUrl: string }>)[name] ?? { url: '', dlqUrl: '' };
  return {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.webhooksTable]: table('webhooks'),
    [ENV.deliveriesTable]: table('deliveries'),
    [ENV.eventsTable]: table('events'),
    [ENV.apiKeysTable]: table('apiKeys'),
    [ENV.rateLimitsTable]: table('rateLimits'),
    [ENV.eventsQueueUrl]: queue('events').url,
    [ENV.eventsDlqUrl]: queue('events').dlqUrl,
    [ENV.deliveriesQueueUrl]: queue('deliveries').url,
    [ENV.deliveriesDlqUrl]: queue('deliveries').dlqUrl,
    [ENV.secretKey]: settings.secretKeyHex,
    [ENV.retrySchedule]: settings.retrySchedule.join(','),
    [ENV.allowPrivateTargets]: settings.allowPrivateTargets ? '1' : '0',
    [ENV.localStack]: '1',
    [ENV.rateLimitPerMinute]: String(settings.rateLimitPerMinute ?? 30),
    ...(settings.workspaceRateLimitPerMinute
      ? { [ENV.workspaceRateLimitPerMinute]: String(settings.workspaceRateLimitPerMinute) }
      : {}),
    [ENV.maxWebhooks]: String(settings.maxWebhooks ?? 50),
    ...(settings.autoDisableAfterSeconds
      ? { [ENV.autoDisableAfterSeconds]: String(settings.autoDisableAfterSeconds) }
      : {}),
    [ENV.dynamodbEndpoint]: resources.dynamodbEndpoint,
    [ENV.sqsEndpoint]: resources.sqsEndpoint,
    ...(settings.extraCaFile ? { [ENV.extraCaFile]: settings.extraCaFile } : {}),
  };
}
