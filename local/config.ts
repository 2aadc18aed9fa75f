import { resolve } from 'node:path';
import * as z from 'zod';
import { API_KEY_PATTERN } from '../functions/core/ids.ts';
import { parseRetrySchedule } from '../functions/core/retry.ts';
import {
  DEFAULT_AUTO_DISABLE_AFTER_SECONDS,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
} from '../functions/resources.ts';
import type { FaultPlan } from './faults.ts';

/** The default data directory (relative to the working directory), as README says. */
export const DEFAULT_DATA_DIR = '.local';

/**
 * The local stack's data directory from the environment: `ENCRATA_DATA_DIR` (an empty value means the
 * default), made absolute. `npm start` and every script that finds the stack (receiver, publish,
 * keys:create, redrive, env, demo) resolve it here, so one exported variable points them all at one stack.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.ENCRATA_DATA_DIR || DEFAULT_DATA_DIR);
}

const FAULTS_USAGE = 'ENCRATA_FAULTS must look like dynamodb:0.2,sqs:0.2[,lost:0.5][,seed:7]';
const SHARE = 'ENCRATA_FAULTS: each share must be a number from 0 to 1';
const share = z.coerce.number({ error: SHARE }).min(0, SHARE).max(1, SHARE);
/**
 * ENCRATA_FAULTS (local/faults.ts): `service:share` pairs. `dynamodb` and `sqs` are the shares of
 * calls that fail, `lost` the share of those faults that strike after the call took effect, `seed`
 * makes the sequence repeatable.
 */
const faultsSchema = z
  .string()
  .transform((text) => Object.fromEntries(text.split(',').map((part) => part.trim().split(':'))))
  .pipe(
    z.strictObject(
      {
        dynamodb: share.optional(),
        sqs: share.optional(),
        lost: share.optional(),
        seed: z.coerce
          .number()
          .int('ENCRATA_FAULTS: seed must be a whole number')
          .min(0, 'ENCRATA_FAULTS: seed must be a whole number')
          .optional(),
      },
      { error: FAULTS_USAGE },
    ),
  )
  .transform((plan) => ({
    dynamodb: plan.dynamodb ?? 0,
    sqs: plan.sqs ?? 0,
    lost: plan.lost ?? 0,
    seed: plan.seed,
  }));

/** A configuration problem, told in one sentence; `npm start` prints it and exits non-zero. */
export class LocalConfigError extends Error {}

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  devApiKey: string | undefined;
  retrySchedule: number[];
  allowPrivateTargets: boolean;
  logLevel: string;
  rateLimitPerMinute: number;
  maxWebhooks: number;
  /** How long a webhook may fail without a success before it is disabled (contract §5). */
  autoDisableAfterSeconds: number;
  /** A DynamoDB-compatible endpoint to use instead of the embedded dynalite (e.g. DynamoDB Local). */
  dynamodbEndpoint: string | undefined;
  /** Injected AWS faults (ENCRATA_FAULTS; local only, for the chaos suite), or none. */
  faults: FaultPlan | undefined;
}

const schema = z.object({
  PORT: z
    .string()
    .optional()
    .refine((v) => v === undefined || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), {
      message: 'PORT must be a whole number between 0 and 65535',
    }),
  ENCRATA_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).optional(),
  ENCRATA_DATA_DIR: z.string().min(1, 'ENCRATA_DATA_DIR must not be empty').optional(),
  ENCRATA_DEV_API_KEY: z
    .string()
    .regex(API_KEY_PATTERN, 'ENCRATA_DEV_API_KEY must be enc_live_ followed by 32 letters or digits')
    .optional(),
  ENCRATA_RETRY_SCHEDULE: z.string().optional(),
  ENCRATA_ALLOW_PRIVATE_TARGETS: z
    .enum(['0', '1'], { error: 'ENCRATA_ALLOW_PRIVATE_TARGETS must be 1 or 0' })
    .optional(),
  ENCRATA_RATE_LIMIT_PER_MINUTE: z
    .string()
    .regex(/^[1-9]\d{0,6}$/, 'ENCRATA_RATE_LIMIT_PER_MINUTE must be a positive whole number')
    .optional(),
  ENCRATA_MAX_WEBHOOKS: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, 'ENCRATA_MAX_WEBHOOKS must be a positive whole number')
    .optional(),
  ENCRATA_AUTO_DISABLE_AFTER_SECONDS: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'ENCRATA_AUTO_DISABLE_AFTER_SECONDS must be a positive whole number of seconds')
    .optional(),
  ENCRATA_DYNAMODB_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'ENCRATA_DYNAMODB_ENDPOINT must be an http(s) URL' })
    .optional(),
  ENCRATA_FAULTS: z
    .string()
    .regex(/^[a-z]+:[\d.]+(,[a-z]+:[\d.]+)*$/, FAULTS_USAGE)
    .pipe(faultsSchema)
    .optional(),
  ENCRATA_LOG_LEVEL: z
    .enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'debug', 'info', 'warn', 'error', 'silent'], {
      error: 'ENCRATA_LOG_LEVEL must be one of DEBUG, INFO, WARN, ERROR, SILENT',
    })
    .optional(),
});

/** Reads the local stack's configuration from the environment (README, "Configuration"). */
export function parseLocalConfig(env: NodeJS.ProcessEnv): LocalConfig {
  const empty = (v: string | undefined) => (v === '' ? undefined : v);
  const result = schema.safeParse({
    PORT: empty(env.PORT),
    ENCRATA_HOST: empty(env.ENCRATA_HOST),
    ENCRATA_DATA_DIR: env.ENCRATA_DATA_DIR,
    ENCRATA_DEV_API_KEY: empty(env.ENCRATA_DEV_API_KEY),
    ENCRATA_RETRY_SCHEDULE: empty(env.ENCRATA_RETRY_SCHEDULE),
    ENCRATA_ALLOW_PRIVATE_TARGETS: empty(env.ENCRATA_ALLOW_PRIVATE_TARGETS),
    ENCRATA_RATE_LIMIT_PER_MINUTE: empty(env.ENCRATA_RATE_LIMIT_PER_MINUTE),
    ENCRATA_MAX_WEBHOOKS: empty(env.ENCRATA_MAX_WEBHOOKS),
    ENCRATA_AUTO_DISABLE_AFTER_SECONDS: empty(env.ENCRATA_AUTO_DISABLE_AFTER_SECONDS),
    ENCRATA_LOG_LEVEL: empty(env.ENCRATA_LOG_LEVEL),
    ENCRATA_DYNAMODB_ENDPOINT: empty(env.ENCRATA_DYNAMODB_ENDPOINT),
    ENCRATA_FAULTS: empty(env.ENCRATA_FAULTS),
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    const message = issue?.message ?? 'invalid';
    const shown = JSON.stringify(env[name] ?? '');
    throw new LocalConfigError(
      `${message.startsWith(name) ? message : `${name}: ${message}`} (got ${shown}).`,
    );
  }
  const e = result.data;
  let retrySchedule: number[] = [...DEFAULT_RETRY_SCHEDULE_SECONDS];
  if (e.ENCRATA_RETRY_SCHEDULE) {
    try {
      retrySchedule = parseRetrySchedule(e.ENCRATA_RETRY_SCHEDULE);
    } catch (error) {
      throw new LocalConfigError(`ENCRATA_RETRY_SCHEDULE: ${(error as Error).message}.`);
    }
  }
  return {
    port: e.PORT === undefined ? 3000 : Number(e.PORT),
    host: e.ENCRATA_HOST ?? '127.0.0.1',
    dataDir: resolveDataDir({ ENCRATA_DATA_DIR: e.ENCRATA_DATA_DIR }),
    devApiKey: e.ENCRATA_DEV_API_KEY,
    retrySchedule,
    allowPrivateTargets: e.ENCRATA_ALLOW_PRIVATE_TARGETS === '1',
    logLevel: (e.ENCRATA_LOG_LEVEL ?? 'INFO').toUpperCase(),
    rateLimitPerMinute: Number(e.ENCRATA_RATE_LIMIT_PER_MINUTE ?? 30),
    maxWebhooks: Number(e.ENCRATA_MAX_WEBHOOKS ?? 50),
    autoDisableAfterSeconds: Number(
      e.ENCRATA_AUTO_DISABLE_AFTER_SECONDS ?? DEFAULT_AUTO_DISABLE_AFTER_SECONDS,
    ),
    dynamodbEndpoint: e.ENCRATA_DYNAMODB_ENDPOINT,
    faults: e.ENCRATA_FAULTS,
  };
}
