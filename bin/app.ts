#!/usr/bin/env node
// The CDK app: the only place that reads context and the deployment environment.
//   npx cdk synth -c retrySchedule=5,10,20 -c removalPolicy=destroy
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EncrataWebhooksStack } from '../lib/encrata-webhooks-stack.ts';

const app = new App();

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new EncrataWebhooksStack(app, 'EncrataWebhooks', {
  // Environment-agnostic unless the CLI resolved credentials: synth works offline.
  env: account && region ? { account, region } : undefined,
  description: 'encrata-webhooks: management API, event fan-out and webhook delivery',
  retrySchedule: parseRetrySchedule(app.node.tryGetContext('retrySchedule')),
  removalPolicy: parseRemovalPolicy(app.node.tryGetContext('removalPolicy')),
});

// cdk-nag 3 is a policy-validation plugin (not an aspect): violations fail `cdk synth`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
);

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
