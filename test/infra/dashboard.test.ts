import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ASSET_CACHE_CONTROL,
  buildDashboardInto,
  CONTENT_SECURITY_POLICY,
  INDEX_CACHE_CONTROL,
} from '../../dashboard/build.ts';
import { CLOUDFRONT_LOGLESS_REGIONS, DashboardSite } from '../../lib/constructs/dashboard-site.ts';
import {
  newApp,
  type Resource,
  referencedId,
  referencedIds,
  resource,
  resourcesOfType,
  synthesize,
} from './support.ts';

/** AWS managed CloudFront policies (their ids are fixed by AWS). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let template: Template;
let distribution: Resource;
let distributionId: string;

beforeAll(() => {
  template = synthesize().template;
  const distributions = resourcesOfType(template, 'AWS::CloudFront::Distribution');
  expect(Object.keys(distributions)).toHaveLength(1);
  [distributionId, distribution] = Object.entries(distributions)[0] as [string, Resource];
});

function siteBucketId(): string {
  const origin = distribution.Properties.DistributionConfig.Origins.find(
    (candidate: { S3OriginConfig?: unknown }) => candidate.S3OriginConfig,
  );
  return referencedId(origin.DomainName);
}

describe('the site bucket', () => {
  test('is private, encrypted, TLS-only and logged', () => {
    const bucket = resource(template, siteBucketId());
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('s3/');
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('is readable by this distribution only (origin access control), over TLS only', () => {
    const policy = Object.values(resourcesOfType(template, 'AWS::S3::BucketPolicy')).find(
      (candidate) => referencedId(candidate.Properties.Bucket) === siteBucketId(),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const read = statements.find((statement) => statement.Effect === 'Allow');
    expect(read).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
    });
    expect(referencedIds(read?.Condition).has(distributionId)).toBe(true);
  });
});

describe('the distribution', () => {
  test('serves the page from S3 through origin access control, HTTPS only, with the security headers', () => {
    const config = distribution.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    const s3Origin = config.Origins.find((origin: { S3OriginConfig?: unknown }) => origin.S3OriginConfig);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: s3Origin.Id,
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      Compress: true,
    });
    expect(referencedId(config.DefaultCacheBehavior.ResponseHeadersPolicyId)).toBe(headersPolicyId());
    // Environment-agnostic: logged except in the opt-in regions, where CloudFront cannot deliver logs.
    expect(config.Logging).toEqual({
      'Fn::If': [
        expect.stringMatching(/^DashboardInLoglessRegion/),
        { Ref: 'AWS::NoValue' },
        { Bucket: expect.anything(), Prefix: 'cloudfront/' },
      ],
    });
    // No custom error pages: they would also replace the API's own 403/404 answers.
    expect(config.CustomErrorResponses).toBeUndefined();
  });

  test('forwards /api/* to the HTTP API uncached, with every method and the Authorization header', () => {
    const config = distribution.Properties.DistributionConfig;
    expect(config.CacheBehaviors).toHaveLength(1);
    const api = config.CacheBehaviors[0];
    expect(api).toMatchObject({
      PathPattern: '/api/*',
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
    expect([...api.AllowedMethods].sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'OPTIONS',
      'PATCH',
      'POST',
      'PUT',
    ]);
    const origin = config.Origins.find((candidate: { Id: string }) => candidate.Id === api.TargetOriginId);
    expect(origin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    // The origin is the management API's own endpoint.
    const httpApiId = Object.keys(resourcesOfType(template, 'AWS::ApiGatewayV2::Api'))[0];
    expect(referencedIds(origin.DomainName)).toEqual(new Set([httpApiId]));
  });

  test('the page and the API share one origin, so the API has no CORS configuration', () => {
    for (const api of Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Api'))) {
      expect(api.Properties.CorsConfiguration).toBeUndefined();
    }
  });

  test('the DashboardUrl output is the distribution', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(referencedIds(outputs.DashboardUrl?.Value)).toEqual(new Set([distributionId]));
  });
});

function headersPolicyId(): string {
  const policies = resourcesOfType(template, 'AWS::CloudFront::ResponseHeadersPolicy');
  expect(Object.keys(policies)).toHaveLength(1);
  return Object.keys(policies)[0] as string;
}

test('the response headers policy sends the strict CSP and the other security headers', () => {
  const config = resource(template, headersPolicyId()).Properties.ResponseHeadersPolicyConfig;
  const security = config.SecurityHeadersConfig;
  expect(security.ContentSecurityPolicy).toEqual({
    ContentSecurityPolicy: CONTENT_SECURITY_POLICY,
    Override: true,
  });
  expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'/);
  expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(security.ContentTypeOptions).toEqual({ Override: true });
  expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
  expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  expect(security.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true, Override: true });
  expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
  const custom = config.CustomHeadersConfig.Items.map((item: { Header: string }) => item.Header);
  expect(custom).toEqual(
    expect.arrayContaining([
      'Cross-Origin-Opener-Policy',
      'Cross-Origin-Resource-Policy',
      'Permissions-Policy',
    ]),
  );
});

test('the site is deployed in two steps: immutable hashed assets, then index.html revalidated each time', () => {
  const deployments = Object.entries(resourcesOfType(template, 'Custom::CDKBucketDeployment'));
  expect(deployments).toHaveLength(2);
  const [assetsId, assets] = deployments.find(([, d]) => d.Properties.Exclude?.includes('index.html')) ?? [];
  const [, index] = deployments.find(([, d]) => d.Properties.Include?.includes('index.html')) ?? [];
  expect(assets?.Properties).toMatchObject({
    Prune: false,
    SystemMetadata: { 'cache-control': ASSET_CACHE_CONTROL },
  });
  expect(index?.Properties).toMatchObject({
    Prune: false,
    SystemMetadata: { 'cache-control': INDEX_CACHE_CONTROL },
  });
  expect(index?.Properties.Exclude).toEqual(['*']);
  for (const deployment of [assets, index]) {
    expect(referencedId(deployment?.Properties.DestinationBucketName)).toBe(siteBucketId());
  }
  // index.html names the new assets, so it must not arrive before them.
  expect((index as Resource & { DependsOn?: string[] }).DependsOn).toEqual(
    expect.arrayContaining([assetsId]),
  );
});

test('the build the stack deploys is complete, hashed, free of inline code and within the JS budget', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'dashboard-build-'));
  try {
    const files = buildDashboardInto(outdir);
    const html = readFileSync(join(outdir, 'index.html'), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((match) => match[1]);
    expect(referenced).toHaveLength(3); // icon, stylesheet, script
    for (const path of referenced) {
      expect(path).toMatch(/^assets\/[a-z]+-[A-Z0-9]{8}\.(js|css|svg)$/);
      expect(files.map((file) => file.path)).toContain(path);
    }
    expect(html).not.toMatch(/<script>|<style>| on\w+=/);
    const script = files.find((file) => file.path.endsWith('.js'));
    expect(gzipSync(script?.contents ?? new Uint8Array()).length).toBeLessThan(60 * 1024);
    // The catalogue is baked in, without zod.
    const code = new TextDecoder().decode(script?.contents);
    expect(code).toContain('An email lookup finished.');
    expect(code).not.toContain('ZodError');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

describe('with a custom domain', () => {
  test('requires TLS 1.2 (2021 policy) and needs no CFR4 acknowledgment', () => {
    const stack = new Stack(newApp(), 'CustomDomain', {
      env: { account: '111111111111', region: 'us-east-1' },
    });
    const httpApi = new apigwv2.HttpApi(stack, 'Api');
    new DashboardSite(stack, 'Dashboard', {
      httpApi,
      domainNames: ['webhooks.example.com'],
      certificate: acm.Certificate.fromCertificateArn(
        stack,
        'Certificate',
        'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
      ),
    });
    const custom = Template.fromStack(stack);
    const [config] = Object.values(resourcesOfType(custom, 'AWS::CloudFront::Distribution')).map(
      (d) => d.Properties.DistributionConfig,
    );
    expect(config.Aliases).toEqual(['webhooks.example.com']);
    expect(config.ViewerCertificate).toMatchObject({
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    const acknowledged = JSON.stringify(custom.toJSON().Resources);
    expect(acknowledged).not.toContain('AwsSolutions-CFR4');
  });
});

describe('in a known region', () => {
  const pack = new AwsSolutionsChecks(newApp());
  let stack: Stack;
  function site(region: string): Template {
    stack = new Stack(newApp(), 'Regional', { env: { account: '111111111111', region } });
    new DashboardSite(stack, 'Dashboard', { httpApi: new apigwv2.HttpApi(stack, 'Api') });
    return Template.fromStack(stack);
  }
  const loggingViolations = () =>
    pack.validateScope(stack).violations.filter((violation) => violation.ruleName === 'AwsSolutions-CFR3');
  const configOf = (t: Template) =>
    Object.values(resourcesOfType(t, 'AWS::CloudFront::Distribution'))[0]?.Properties.DistributionConfig;

  test('a standard region logs the distribution to the log bucket, decided at synth time', () => {
    const t = site('eu-west-1');
    expect(configOf(t).Logging).toMatchObject({ Prefix: 'cloudfront/', Bucket: expect.anything() });
    expect(Object.keys(t.toJSON().Conditions ?? {}).filter((id) => id.includes('Logless'))).toEqual([]);
    expect(loggingViolations()).toEqual([]);
  });

  test.each([...CLOUDFRONT_LOGLESS_REGIONS])(
    'in the opt-in region %s the distribution logs nothing, and says why',
    (region) => {
      const t = site(region);
      expect(configOf(t).Logging).toBeUndefined();
      // cdk-nag's access-logging rule is acknowledged, with the reason (it would be an error otherwise).
      expect(loggingViolations()).toEqual([]);
    },
  );

  test('the policy and origin access control names carry the stack and the region', () => {
    const t = site('eu-west-1');
    const [policy] = Object.values(resourcesOfType(t, 'AWS::CloudFront::ResponseHeadersPolicy'));
    expect(policy?.Properties.ResponseHeadersPolicyConfig.Name).toBe('Regional-eu-west-1-security-headers');
    const [oac] = Object.values(resourcesOfType(t, 'AWS::CloudFront::OriginAccessControl'));
    expect(oac?.Properties.OriginAccessControlConfig.Name).toBe('Regional-eu-west-1-site');
  });
});

test('the two deployments share one AWS CLI layer: the one their singleton handler uses', () => {
  const layers = Object.keys(resourcesOfType(template, 'AWS::Lambda::LayerVersion'));
  expect(layers).toHaveLength(1);
  const handlers = Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).filter(([id]) =>
    id.startsWith('CustomCDKBucketDeployment'),
  );
  expect(handlers).toHaveLength(1);
  expect(handlers[0]?.[1].Properties.Layers).toEqual([{ Ref: layers[0] }]);
});
