#!/usr/bin/env node
// The CDK app: the only place that reads context and the deployment environment.
//   npx cdk deploy                                                  # stage prod: stack EncrataWebhooks
//   npx cdk deploy -c stage=dev -c removalPolicy=destroy            # EncrataWebhooks-dev, deletable
//   npx cdk deploy -c alarmEmail=oncall@example.com -c retrySchedule=5,10,20
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EncrataWebhooksStack } from '../lib/encrata-webhooks-stack.ts';
import { assertStageName, DEFAULT_STAGE, stackNameFor } from '../lib/stage.ts';

const app = new App();

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const stage = parseStage(app.node.tryGetContext('stage'));

new EncrataWebhooksStack(app, stackNameFor(stage), {
  // Environment-agnostic unless the CLI resolved credentials: synth works offline.
  env: account && region ? { account, region } : undefined,
  description: `encrata-webhooks (${stage}): management API, event fan-out and webhook delivery`,
  stage,
  retrySchedule: parseRetrySchedule(app.node.tryGetContext('retrySchedule')),
  autoDisableAfterSeconds: parseSeconds(
    'autoDisableAfterSeconds',
    app.node.tryGetContext('autoDisableAfterSeconds'),
  ),
  removalPolicy: parseRemovalPolicy(app.node.tryGetContext('removalPolicy')),
  alarmEmail: parseEmail(app.node.tryGetContext('alarmEmail')),
  fanout: {
    maxConcurrency: parseConcurrency('fanoutMaxConcurrency', app.node.tryGetContext('fanoutMaxConcurrency')),
  },
  dispatcher: {
    maxConcurrency: parseConcurrency(
      'dispatcherMaxConcurrency',
      app.node.tryGetContext('dispatcherMaxConcurrency'),
    ),
  },
});

// cdk-nag 3 is a policy-validation plugin (not an aspect): violations fail `cdk synth`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
);

function parseStage(value: unknown): string {
  if (value === undefined) return DEFAULT_STAGE;
  const stage = String(value);
  assertStageName(stage);
  return stage;
}

/** `-c autoDisableAfterSeconds=86400` → a positive whole number of seconds. */
function parseSeconds(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(
      `context ${name}: expected a positive whole number of seconds, got ${JSON.stringify(value)}`,
    );
  }
  return seconds;
}

/** `-c retrySchedule=5,300,1800` (or a JSON array in cdk.json) → seconds between attempts. */
function parseRetrySchedule(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = Array.isArray(value) ? value : String(value).split(',');
  const schedule = parts.map((part) => Number(String(part).trim()));
  if (schedule.length === 0 || schedule.some((delay) => !Number.isInteger(delay) || delay <= 0)) {
    throw new Error(
      `context retrySchedule: expected comma-separated positive seconds, got ${JSON.stringify(value)}`,
    );
  }
  return schedule;
}

function parseRemovalPolicy(value: unknown): RemovalPolicy | undefined {
  if (value === undefined) return undefined;
  if (value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw new Error(`context removalPolicy: expected "retain" or "destroy", got ${JSON.stringify(value)}`);
}

/** `-c alarmEmail=oncall@example.com`: the address the alarm topic mails (it must confirm once). */
function parseEmail(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const email = String(value);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new Error(`context alarmEmail: expected an email address, got ${JSON.stringify(value)}`);
  }
  return email;
}

function parseConcurrency(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || n > 1000) {
    throw new Error(`context ${name}: expected a whole number from 2 to 1000, got ${JSON.stringify(value)}`);
  }
  return n;
}
