import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EncrataWebhooksStack, type EncrataWebhooksStackProps } from '../../lib/encrata-webhooks-stack.ts';
import { assertStageName, isProductionStage, serviceNameFor, stackNameFor } from '../../lib/stage.ts';
import { newApp, projectFunctions, type Resource, resourcesOfType } from './support.ts';

function synthStage(
  stage: string,
  region?: string,
  props: EncrataWebhooksStackProps = {},
): { stack: EncrataWebhooksStack; template: Template } {
  const stack = new EncrataWebhooksStack(newApp(), stackNameFor(stage), {
    stage,
    env: region ? { account: '111111111111', region } : undefined,
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('stage names', () => {
  test('prod keeps the stack name it always had; every other stage is named after itself', () => {
    expect(stackNameFor('prod')).toBe('EncrataWebhooks');
    expect(stackNameFor('dev')).toBe('EncrataWebhooks-dev');
    expect(stackNameFor('prod-eu')).toBe('EncrataWebhooks-prod-eu');
    expect(serviceNameFor('prod')).toBe('encrata-webhooks');
    expect(serviceNameFor('pr-42')).toBe('encrata-webhooks-pr-42');
  });

  test.each(['', 'Dev', '1dev', 'dev_1', 'dev-', 'a--b', 'x'.repeat(21), 'dev stage'])(
    '%j is refused',
    (stage) => {
      expect(() => assertStageName(stage)).toThrow(/stage: expected/);
      expect(() => stackNameFor(stage)).toThrow(/stage: expected/);
    },
  );

  test('prod and prod-… are production stages', () => {
    expect(['prod', 'prod-eu', 'dev', 'production', 'preprod'].filter(isProductionStage)).toEqual([
      'prod',
      'prod-eu',
    ]);
  });
});

describe('removal policy', () => {
  test.each(['prod', 'prod-eu'])('a production stage (%s) refuses destroy', (stage) => {
    expect(() => synthStage(stage, undefined, { removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /production stage/,
    );
  });

  test('a throw-away stage with destroy takes everything with it: tables, secret, queues, buckets, logs', () => {
    const { template } = synthStage('dev', undefined, { removalPolicy: RemovalPolicy.DESTROY });
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::SecretsManager::Secret',
      'AWS::SQS::Queue',
      'AWS::S3::Bucket',
      'AWS::Logs::LogGroup',
    ]) {
      const resources = Object.values(resourcesOfType(template, type));
      expect(resources.length).toBeGreaterThan(0);
      for (const item of resources)
        expect({ type, policy: item.DeletionPolicy }).toEqual({ type, policy: 'Delete' });
    }
    for (const table of Object.values(resourcesOfType(template, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });

  test('any stage retains by default', () => {
    const { template } = synthStage('dev');
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::SQS::Queue',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
    ]) {
      for (const item of Object.values(resourcesOfType(template, type)))
        expect(item.DeletionPolicy).toBe('Retain');
    }
  });
});

test("each stage's functions emit their metrics under the stage's own service name", () => {
  for (const [stage, service] of [
    ['prod', 'encrata-webhooks'],
    ['dev', 'encrata-webhooks-dev'],
  ]) {
    const { template } = synthStage(stage as string);
    for (const fn of Object.values(projectFunctions(template))) {
      expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(service);
    }
  }
});

/**
 * The explicit names in a template, by scope: `account` names (CloudFront, CloudWatch dashboards) must be
 * unique in the account, `region` names in the account and region.
 */
const NAMED: Record<
  string,
  { scope: 'account' | 'region'; name: (properties: Resource['Properties']) => unknown }
> = {
  'AWS::CloudFront::ResponseHeadersPolicy': {
    scope: 'account',
    name: (p) => p.ResponseHeadersPolicyConfig.Name,
  },
  'AWS::CloudFront::OriginAccessControl': { scope: 'account', name: (p) => p.OriginAccessControlConfig.Name },
  'AWS::CloudWatch::Dashboard': { scope: 'account', name: (p) => p.DashboardName },
  'AWS::CloudWatch::Alarm': { scope: 'region', name: (p) => p.AlarmName },
  'AWS::SNS::Topic': { scope: 'region', name: (p) => p.TopicName },
  'AWS::ApiGatewayV2::Api': { scope: 'region', name: (p) => p.Name },
};

/** Top-level `…Name` properties that are not the resource's own name (references, per-parent names). */
const NOT_NAMES = new Set(['StageName', 'PolicyName', 'MetricName', 'Namespace']);

describe('two stages in two regions of one account', () => {
  const deployments = ['prod', 'dev'].flatMap((stage) =>
    ['us-east-1', 'eu-west-1'].map((region) => ({
      stage,
      region,
      template: synthStage(stage, region).template,
    })),
  );

  test('no explicit name collides', () => {
    const seen = new Map<string, string>();
    for (const { stage, region, template } of deployments) {
      const names: { key: string; name: string }[] = [
        { key: `${region} stack ${stackNameFor(stage)}`, name: stackNameFor(stage) },
      ];
      for (const [id, item] of Object.entries(template.toJSON().Resources as Record<string, Resource>)) {
        const named = NAMED[item.Type];
        if (!named) continue;
        const name = named.name(item.Properties);
        expect({ id, name: typeof name }).toEqual({ id, name: 'string' });
        const scope = named.scope === 'account' ? 'account' : region;
        names.push({ key: `${scope} ${item.Type} ${name}`, name: String(name) });
        if (named.scope === 'account') expect(String(name)).toContain(region);
      }
      for (const { key } of names) {
        expect({ key, first: seen.get(key) }).toEqual({ key, first: undefined });
        seen.set(key, `${stage}/${region}`);
      }
    }
    // Every kind of name was seen, in every deployment.
    expect([...seen.keys()].filter((key) => key.includes('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(
      4 * 40,
    );
  });

  test('no other resource carries an explicit name of its own (it would need a line in NAMED)', () => {
    for (const { template } of deployments) {
      for (const [id, item] of Object.entries(template.toJSON().Resources as Record<string, Resource>)) {
        if (NAMED[item.Type]) continue;
        for (const [key, value] of Object.entries(item.Properties ?? {})) {
          if (!key.endsWith('Name') || NOT_NAMES.has(key)) continue;
          // A reference to another resource is fine: only literal names can collide.
          expect({ id, key, literal: typeof value === 'string' }).toEqual({ id, key, literal: false });
        }
      }
    }
  });
});
