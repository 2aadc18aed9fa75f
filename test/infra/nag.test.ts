import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EncrataWebhooksStack } from '../../lib/encrata-webhooks-stack.ts';
import { newApp, type Resource } from './support.ts';

// cdk-nag 3 is a policy-validation plugin: it reports violations in the validation report (and fails
// synthesis on errors) instead of adding annotations, so the report itself is asserted on.
const app = newApp();
const stack = new EncrataWebhooksStack(app, 'NagTest');
const pack = new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true });
Validations.of(app).addPlugins(pack);

let template: Template;

beforeAll(() => {
  // Synthesis runs the plugin and throws on any unacknowledged error.
  template = Template.fromStack(stack);
});

function describeViolations(scope: Stack | typeof app): string[] {
  return pack
    .validateScope(scope)
    .violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
}

test('AwsSolutions reports no errors and no warnings', () => {
  expect(describeViolations(app)).toEqual([]);
});

test('synthesis leaves no error or warning annotations', () => {
  expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
});

test('every acknowledged rule in the template carries a specific reason', () => {
  const resources = Object.values(template.toJSON().Resources as Record<string, Resource>);
  const suppressions = resources.flatMap(
    (resource) => (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[],
  );
  const ids = new Set(suppressions.map((suppression) => suppression.id));
  // The acknowledgments this design relies on, each for a reason written next to it.
  expect([...ids]).toEqual(
    expect.arrayContaining([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
      // The alarm topic (lib/constructs/monitoring.ts): CloudWatch cannot publish under the managed key.
      'AwsSolutions-SNS2',
      // The dashboard site (lib/constructs/dashboard-site.ts): its log bucket, the distribution,
      // and what aws-cdk-lib's BucketDeployment brings (its handler's runtime and grants).
      'AwsSolutions-S1',
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR4',
      'AwsSolutions-L1',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<DashboardBucket[0-9A-F]+\.Arn>\/\*]$/),
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      // aws-cdk-lib's own, on the access-log bucket (log delivery still needs a bucket ACL).
      'CloudFormation-Validate::W3045',
    ]),
  );
  expect(ids.size).toBe(18);
  for (const suppression of suppressions) {
    expect(suppression.reason.length).toBeGreaterThanOrEqual(20);
  }
});

test('the checks do catch a violation (this test file cannot pass vacuously)', () => {
  const probe = new Stack(newApp(), 'Probe');
  new secretsmanager.Secret(probe, 'Unrotated');
  expect(describeViolations(probe)).toEqual([
    expect.stringMatching(/^error AwsSolutions-SMG4 at Probe\/Unrotated/),
  ]);
});
