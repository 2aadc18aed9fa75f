import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { ENV } from '../../functions/resources.ts';

declare global {
  var __EMULATORS__: ChildProcess | undefined;
}

interface EmulatorInfo {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<string, string>;
  queues: Record<string, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
}

/** Starts the emulators once for the integration project and points the functions' config at them. */
export default async function globalSetup(): Promise<void> {
  const child = spawn(process.execPath, ['test/support/emulators-process.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, RETRIES: '2' },
  });
  globalThis.__EMULATORS__ = child;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulators did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`emulators exited early (${code})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (first) => {
      clearTimeout(timer);
      resolve(first);
    });
  });
  const info = JSON.parse(line) as EmulatorInfo;
  const queue = (name: string) => info.queues[name] ?? { url: '', arn: '', dlqUrl: '', dlqArn: '' };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.webhooksTable]: info.tables.webhooks,
    [ENV.deliveriesTable]: info.tables.deliveries,
    [ENV.eventsTable]: info.tables.events,
    [ENV.apiKeysTable]: info.tables.apiKeys,
    [ENV.rateLimitsTable]: info.tables.rateLimits,
    [ENV.eventsQueueUrl]: queue('events').url,
    [ENV.eventsDlqUrl]: queue('events').dlqUrl,
    [ENV.deliveriesQueueUrl]: queue('deliveries').url,
    [ENV.deliveriesDlqUrl]: queue('deliveries').dlqUrl,
    [ENV.secretKey]: randomBytes(32).toString('hex'),
    [ENV.retrySchedule]: '1,2',
    [ENV.allowPrivateTargets]: '1',
    [ENV.dynamodbEndpoint]: info.dynamodbEndpoint,
    [ENV.sqsEndpoint]: info.sqsEndpoint,
    ENCRATA_TEST_QUEUE_ARNS: JSON.stringify({
      events: queue('events').arn,
      deliveries: queue('deliveries').arn,
    }),
  });
}
