import * as z from 'zod';
import { parseRetrySchedule } from '../core/retry.ts';
import { DEFAULT_MAX_WEBHOOKS_PER_WORKSPACE } from '../core/webhooks.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, ENV } from '../resources.ts';

const required = (name: string) => z.string({ error: `${name} is not set` }).min(1, `${name} is empty`);
const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a positive whole number`)
    .transform(Number)
    .refine((n) => n > 0, `${name} must be a positive whole number`)
    .optional()
    .transform((n) => n ?? fallback);

const configSchema = z
  .object({
    [ENV.webhooksTable]: required(ENV.webhooksTable),
    [ENV.deliveriesTable]: required(ENV.deliveriesTable),
    [ENV.eventsTable]: required(ENV.eventsTable),
    [ENV.apiKeysTable]: required(ENV.apiKeysTable),
    [ENV.rateLimitsTable]: required(ENV.rateLimitsTable),
    [ENV.eventsQueueUrl]: required(ENV.eventsQueueUrl),
    [ENV.eventsDlqUrl]: required(ENV.eventsDlqUrl),
    [ENV.deliveriesQueueUrl]: required(ENV.deliveriesQueueUrl),
    [ENV.deliveriesDlqUrl]: required(ENV.deliveriesDlqUrl),
    [ENV.secretKeyArn]: z.string().min(1, `${ENV.secretKeyArn} is empty`).optional(),
    [ENV.secretKey]: z
      .string()
      .regex(/^[0-9a-f]{64}$/, `${ENV.secretKey} must be 64 lowercase hex characters`)
      .optional(),
    [ENV.retrySchedule]: z
      .string()
      .optional()
      .transform((text, ctx) => {
        if (text === undefined || text.trim() === '') return [...DEFAULT_RETRY_SCHEDULE_SECONDS];
        try {
          return parseRetrySchedule(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `${ENV.retrySchedule}: ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
    [ENV.allowPrivateTargets]: z
      .enum(['0', '1', ''], { error: `${ENV.allowPrivateTargets} must be 1 or 0` })
      .optional()
      .transform((v) => v === '1'),
    [ENV.maxWebhooks]: positiveInt(ENV.maxWebhooks, DEFAULT_MAX_WEBHOOKS_PER_WORKSPACE),
    [ENV.rateLimitPerMinute]: positiveInt(ENV.rateLimitPerMinute, 30),
    [ENV.dynamodbEndpoint]: z.url({ error: `${ENV.dynamodbEndpoint} must be a URL` }).optional(),
    [ENV.sqsEndpoint]: z.url({ error: `${ENV.sqsEndpoint} must be a URL` }).optional(),
    [ENV.extraCaFile]: z.string().min(1, `${ENV.extraCaFile} is empty`).optional(),
  })
  .refine((env) => env[ENV.secretKeyArn] || env[ENV.secretKey], {
    message: `one of ${ENV.secretKeyArn} (AWS) or ${ENV.secretKey} (local stack) must be set`,
  });

/** The validated runtime configuration, one object, parsed from the environment at cold start. */
export interface Config {
  tables: { webhooks: string; deliveries: string; events: string; apiKeys: string; rateLimits: string };
  queues: { events: string; eventsDlq: string; deliveries: string; deliveriesDlq: string };
  secretKey: { arn: string } | { hex: string };
  retrySchedule: number[];
  allowPrivateTargets: boolean;
  maxWebhooksPerWorkspace: number;
  rateLimitPerMinute: number;
  endpoints: { dynamodb?: string; sqs?: string };
  extraCaFile?: string;
}

export class ConfigError extends Error {}

/** Parses the configuration; a missing or malformed value fails fast and names itself. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      `Invalid configuration: ${result.error.issues.map((issue) => issue.message).join('; ')}`,
    );
  }
  const e = result.data;
  const arn = e[ENV.secretKeyArn];
  const hex = e[ENV.secretKey];
  return {
    tables: {
      webhooks: e[ENV.webhooksTable],
      deliveries: e[ENV.deliveriesTable],
      events: e[ENV.eventsTable],
      apiKeys: e[ENV.apiKeysTable],
      rateLimits: e[ENV.rateLimitsTable],
    },
    queues: {
      events: e[ENV.eventsQueueUrl],
      eventsDlq: e[ENV.eventsDlqUrl],
      deliveries: e[ENV.deliveriesQueueUrl],
      deliveriesDlq: e[ENV.deliveriesDlqUrl],
    },
    secretKey: hex ? { hex } : { arn: arn ?? '' },
    retrySchedule: e[ENV.retrySchedule],
    allowPrivateTargets: e[ENV.allowPrivateTargets],
    maxWebhooksPerWorkspace: e[ENV.maxWebhooks],
    rateLimitPerMinute: e[ENV.rateLimitPerMinute],
    endpoints: { dynamodb: e[ENV.dynamodbEndpoint], sqs: e[ENV.sqsEndpoint] },
    extraCaFile: e[ENV.extraCaFile],
  };
}

let cached: Config | undefined;

/** The configuration of this process, parsed once. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
