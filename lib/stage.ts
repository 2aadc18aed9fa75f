/**
 * Stages: one deployment of the system (`-c stage=<name>`). Several stages — and the same stage in
 * several regions — deploy side by side in one account: the stage names the stack, the stack name
 * starts every explicit resource name, and names that CloudFront or CloudWatch keep account-wide
 * add the region (see `accountWideName`).
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The stage `cdk deploy` deploys when none is named. */
export const DEFAULT_STAGE = 'prod';

/** Lowercase letters, digits and single hyphens, starting with a letter; short enough for every name. */
const STAGE_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$/;

/** Throws unless `stage` is a usable stage name. */
export function assertStageName(stage: string): void {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `stage: expected 1 to 20 lowercase letters, digits and single hyphens, starting with a letter, got ${JSON.stringify(stage)}`,
    );
  }
}

/**
 * Production stages keep their data whatever happens to the stack: `prod`, and any stage named
 * `prod-…` (e.g. `prod-eu`).
 */
export function isProductionStage(stage: string): boolean {
  return stage === DEFAULT_STAGE || stage.startsWith(`${DEFAULT_STAGE}-`);
}

/**
 * The stack's name. `prod` keeps the name the stack has always had (`EncrataWebhooks`): CloudFormation
 * cannot rename a stack, so a new name would make a new stack with new, empty tables, new queue URLs for
 * every producer and a new dashboard domain. Every other stage is `EncrataWebhooks-<stage>`.
 */
export function stackNameFor(stage: string): string {
  assertStageName(stage);
  return stage === DEFAULT_STAGE ? 'EncrataWebhooks' : `EncrataWebhooks-${stage}`;
}

/**
 * The Powertools service name (the `service` dimension of every custom metric, and of every log line),
 * so that two stages in one account and region never mix their metrics. `prod` keeps the documented
 * `encrata-webhooks`, for the same reason as its stack name.
 */
export function serviceNameFor(stage: string): string {
  assertStageName(stage);
  return stage === DEFAULT_STAGE ? 'encrata-webhooks' : `encrata-webhooks-${stage}`;
}

/** A name unique in its region: the stack's name (unique per account and region), then `suffix`. */
export function regionalName(scope: IConstruct, suffix: string): string {
  return `${Stack.of(scope).stackName}-${suffix}`;
}

/**
 * A name unique in the account (CloudFront policies and origin access controls, CloudWatch
 * dashboards): the stack's name, its region, then `suffix`. With an environment-agnostic stack the
 * region is resolved at deploy time.
 */
export function accountWideName(scope: IConstruct, suffix: string): string {
  const stack = Stack.of(scope);
  return `${stack.stackName}-${stack.region}-${suffix}`;
}

/** `webhooks-get` → `WebhooksGet`: stable construct ids (hence logical ids) from kebab-case names. */
export function toPascalCase(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
