/**
 * The functions' configuration: one object, parsed from the environment at cold start (zod/mini: it
 * is in every bundle), failing fast with a message that names the variable.
 */
import * as z from 'zod/mini';
import { parseRetrySchedule } from '../core/retry.ts';
import {
  DEFAULT_AUTO_DISABLE_AFTER_SECONDS,
  DEFAULT_KEY_CREATIONS_PER_HOUR,
  DEFAULT_MAX_WEBHOOKS_PER_WORKSPACE,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  ENV,
  WORKSPACE_CEILING_IN_KEYS,
} from '../resources.ts';

const required = (name: string) =>
  z.string({ error: `${name} is not set` }).check(z.minLength(1, `${name} is empty`));
const optionalText = (name: string) => z.optional(z.string().check(z.minLength(1, `${name} is empty`)));
const positiveInt = (name: string, fallback: number) =>
  z.pipe(
    z.optional(
      z.string().check(
        z.regex(/^\d+$/, `${name} must be a positive whole number`),
        z.refine((v) => Number(v) > 0, `${name} must be a positive whole number`),
      ),
    ),
    z.transform((v) => (v === undefined ? fallback : Number(v))),
  );
const url = (name: string) => z.optional(z.url({ error: `${name} must be a URL` }));

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
    [ENV.secretKeyArn]: optionalText(ENV.secretKeyArn),
    [ENV.secretKey]: z.optional(
      z.string().check(z.regex(/^[0-9a-f]{64}$/, `${ENV.secretKey} must be 64 lowercase hex characters`)),
    ),
    [ENV.retrySchedule]: z.pipe(
      z.optional(z.string()),
      z.transform((text, ctx) => {
        if (text === undefined || text.trim() === '') return [...DEFAULT_RETRY_SCHEDULE_SECONDS];
        try {
          return parseRetrySchedule(text);
        } catch (error) {
          ctx.issues.push({
            code: 'custom',
            message: `${ENV.retrySchedule}: ${(error as Error).message}`,
            input: text,
          });
          return [];
        }
      }),
    ),
    [ENV.allowPrivateTargets]: z.pipe(
      z.optional(z.enum(['0', '1', ''], { error: `${ENV.allowPrivateTargets} must be 1 or 0` })),
      z.transform((v) => v === '1'),
    ),
    [ENV.maxWebhooks]: positiveInt(ENV.maxWebhooks, DEFAULT_MAX_WEBHOOKS_PER_WORKSPACE),
    [ENV.rateLimitPerMinute]: positiveInt(ENV.rateLimitPerMinute, DEFAULT_RATE_LIMIT_PER_MINUTE),
    // Unset: WORKSPACE_CEILING_IN_KEYS keys' worth of the per-key limit (0 stands for that here).
    [ENV.workspaceRateLimitPerMinute]: positiveInt(ENV.workspaceRateLimitPerMinute, 0),
    [ENV.keyCreationsPerHour]: positiveInt(ENV.keyCreationsPerHour, DEFAULT_KEY_CREATIONS_PER_HOUR),
    [ENV.dynamodbEndpoint]: url(ENV.dynamodbEndpoint),
    [ENV.sqsEndpoint]: url(ENV.sqsEndpoint),
    [ENV.extraCaFile]: optionalText(ENV.extraCaFile),
    [ENV.localStack]: z.pipe(
      z.optional(z.enum(['0', '1', ''], { error: `${ENV.localStack} must be 1 or 0` })),
      z.transform((v) => v === '1'),
    ),
    [ENV.autoDisableAfterSeconds]: positiveInt(
      ENV.autoDisableAfterSeconds,
      DEFAULT_AUTO_DISABLE_AFTER_SECONDS,
    ),
  })
  .check(
    z.refine((env) => Boolean(env[ENV.secretKeyArn] || env[ENV.secretKey]), {
      message: `one of ${ENV.secretKeyArn} (AWS) or ${ENV.secretKey} (local stack) must be set`,
    }),
  );

/** The validated runtime configuration, one object, parsed from the environment at cold start. */
export interface Config {
  tables: { webhooks: string; deliveries: string; events: string; apiKeys: string; rateLimits: string };
  queues: { events: string; eventsDlq: string; deliveries: string; deliveriesDlq: string };
  secretKey: { arn: string } | { hex: string };
  retrySchedule: number[];
  allowPrivateTargets: boolean;
  maxWebhooksPerWorkspace: number;
  rateLimitPerMinute: number;
  /** The ceiling across all keys of a workspace. @default 4 × rateLimitPerMinute */
  workspaceRateLimitPerMinute: number;
  /** API keys a workspace may create through the API per hour. */
  keyCreationsPerHour: number;
  endpoints: { dynamodb?: string; sqs?: string };
  extraCaFile?: string;
  autoDisableAfterSeconds: number;
  /** Running as the local stack (ENCRATA_LOCAL_STACK=1): refusals may name local-only switches. */
  localStack: boolean;
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
    workspaceRateLimitPerMinute:
      e[ENV.workspaceRateLimitPerMinute] || WORKSPACE_CEILING_IN_KEYS * e[ENV.rateLimitPerMinute],
    keyCreationsPerHour: e[ENV.keyCreationsPerHour],
    endpoints: { dynamodb: e[ENV.dynamodbEndpoint], sqs: e[ENV.sqsEndpoint] },
    extraCaFile: e[ENV.extraCaFile],
    autoDisableAfterSeconds: e[ENV.autoDisableAfterSeconds],
    localStack: e[ENV.localStack],
  };
}

let cached: Config | undefined;

/** The configuration of this process, parsed once. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
