import * as path from 'node:path';
import {
  AssetHashType,
  Aws,
  CfnCondition,
  DockerImage,
  Duration,
  Fn,
  type ICfnConditionExpression,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import {
  ASSET_CACHE_CONTROL,
  buildDashboardInto,
  CONTENT_SECURITY_POLICY,
  INDEX_CACHE_CONTROL,
  SECURITY_HEADERS,
} from '../../dashboard/build.ts';
import { accountWideName } from '../stage.ts';

/**
 * The opt-in regions (not enabled by default in an account): CloudFront delivers no standard logs to
 * buckets there, so the distribution logs nothing when the stack lives in one of them.
 */
export const CLOUDFRONT_LOGLESS_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
] as const;

const CLOUDFRONT_LOG_PREFIX = 'cloudfront/';

export interface DashboardSiteProps {
  /** The management API, served by the same distribution under `/api/*`. */
  readonly httpApi: apigwv2.IHttpApi;
  /**
   * Custom domain names of the distribution; requires `certificate` (in us-east-1).
   * @default - the distribution's cloudfront.net name only
   */
  readonly domainNames?: string[];
  /** Certificate for `domainNames`. @default - none */
  readonly certificate?: acm.ICertificate;
  /**
   * Removal policy of the site and log buckets. With DESTROY their objects are deleted too.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** How long access logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding `dashboard/` (see NodeFunctionProps.projectRoot for why this is not `import.meta`).
   * @default process.cwd()
   */
  readonly projectRoot?: string;
}

/**
 * The dashboard (Settings → Webhooks): a private S3 bucket behind CloudFront (origin access control),
 * with the management API under `/api/*` on the same distribution. The page and the API share one
 * origin, so the browser needs no CORS at all and the API key never leaves a same-origin request.
 *
 * The site is built by esbuild at synth time (dashboard/build.ts, offline) and uploaded by two
 * deployments: hashed assets with a one-year immutable cache, then index.html with `no-cache`, so a
 * deploy is visible at once and a page never names an asset that is not there yet.
 *
 * CloudFront keeps policy and origin-access-control names account-wide, so theirs carry the stack name
 * and the region: stages and regions deploy side by side. The distribution's standard logs go to the
 * log bucket, except in the opt-in regions (`CLOUDFRONT_LOGLESS_REGIONS`), where CloudFront cannot
 * deliver them: there the distribution logs nothing (decided at synth time when the region is known,
 * by a template condition when the stack is environment-agnostic).
 */
export class DashboardSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://<domain>/`: the page; the API is under `api/` on the same origin. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    const retentionDays = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    // Access logs of the bucket and the distribution. CloudFront's standard logs are written with
    // ACLs, so ACLs stay enabled (bucket owner preferred); nothing in it is public.
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules:
        retentionDays === logs.RetentionDays.INFINITE ? [] : [{ expiration: Duration.days(retentionDays) }],
      removalPolicy,
      autoDeleteObjects,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy,
      autoDeleteObjects,
    });

    // The same headers the local stack sends (dashboard/build.ts), plus HSTS: CloudFront is HTTPS only.
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: accountWideName(this, 'security-headers'),
      comment: 'encrata-webhooks dashboard: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: (
          ['Cross-Origin-Opener-Policy', 'Cross-Origin-Resource-Policy', 'Permissions-Policy'] as const
        ).map((header) => ({ header, value: SECURITY_HEADERS[header], override: true })),
      },
    });

    // `apiEndpoint` is `https://<id>.execute-api.<region>.amazonaws.com`: the origin wants the host alone.
    const apiOrigin = new origins.HttpOrigin(Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint)), {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });

    const originAccessControl = new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
      originAccessControlName: accountWideName(this, 'site'),
      description: 'encrata-webhooks dashboard: CloudFront reads the private site bucket',
    });
    const region = Stack.of(this).region;
    // Known region: decided now. Environment-agnostic: a condition decides at deploy time.
    const logless = Token.isUnresolved(region)
      ? undefined
      : (CLOUDFRONT_LOGLESS_REGIONS as readonly string[]).includes(region);

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'encrata-webhooks dashboard and management API',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Only settable with a custom certificate; *.cloudfront.net has CloudFront's fixed policy.
      minimumProtocolVersion: props.certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      domainNames: props.domainNames,
      certificate: props.certificate,
      enableLogging: logless !== true,
      logBucket: logless === true ? undefined : this.logBucket,
      logFilePrefix: logless === true ? undefined : CLOUDFRONT_LOG_PREFIX,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessControl }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      additionalBehaviors: {
        // The API: never cached, every method, and every viewer header but Host (API Gateway routes on
        // its own host name). With caching disabled this policy also forwards Authorization.
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: true,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;
    if (logless === undefined) this.logOnlyOutsideLoglessRegions();

    const projectRoot = props.projectRoot ?? process.cwd();
    const site = s3deploy.Source.asset(path.join(projectRoot, 'dashboard'), {
      // The hash of what is deployed, so the deployment changes exactly when the built site does.
      assetHashType: AssetHashType.OUTPUT,
      exclude: ['dist'],
      bundling: {
        // Never used: local bundling with the project's esbuild always succeeds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
        local: {
          tryBundle(outputDir) {
            buildDashboardInto(outputDir, { projectRoot });
            return true;
          },
        },
      },
    });

    // The deployment handler (aws-cdk-lib's, shared by both deployments) gets its own role and log
    // group, as NodeFunction does: it writes only to its log group, not to every one in the account.
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', { retention: retentionDays, removalPolicy });
    const deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    deployLogs.grantWrite(deployRole);
    const deployment = {
      role: deployRole,
      logGroup: deployLogs,
      memoryLimit: 256,
      destinationBucket: this.bucket,
    };

    const assets = new s3deploy.BucketDeployment(this, 'DeployAssets', {
      ...deployment,
      sources: [site],
      exclude: ['index.html'],
      cacheControl: [s3deploy.CacheControl.fromString(ASSET_CACHE_CONTROL)],
      // Old hashed files stay: a page loaded before this deploy may still ask for them.
      prune: false,
    });
    const index = new s3deploy.BucketDeployment(this, 'DeployIndex', {
      ...deployment,
      sources: [site],
      exclude: ['*'],
      include: ['index.html'],
      cacheControl: [s3deploy.CacheControl.fromString(INDEX_CACHE_CONTROL)],
      // No invalidation: `no-cache` makes CloudFront revalidate index.html within its 1 s minimum TTL.
      prune: false,
    });
    // index.html names the new assets, so it goes up only after they are there.
    index.node.addDependency(assets);
    // Both deployments run on one singleton handler, which takes the AWS CLI layer of the first; the
    // second deployment's own copy of the layer would be deployed and never used.
    index.node.tryRemoveChild('AwsCliLayer');

    const handler = assets.node.findChild('CustomResourceHandler') as lambda.SingletonFunction;
    this.acknowledgeNagFindings(
      props,
      logless,
      deployRole,
      Stack.of(this).node.findChild(handler.permissionsNode.id),
    );
  }

  /** Environment-agnostic: standard logs are switched off by a condition in the opt-in regions. */
  private logOnlyOutsideLoglessRegions(): void {
    const inRegion = (names: readonly string[]): ICfnConditionExpression =>
      names.length === 1
        ? Fn.conditionEquals(Aws.REGION, names[0])
        : Fn.conditionOr(...names.map((name) => Fn.conditionEquals(Aws.REGION, name)));
    // Fn::Or takes 2 to 10 conditions: the regions in groups of up to ten, or-ed together.
    const groups: ICfnConditionExpression[] = [];
    for (let i = 0; i < CLOUDFRONT_LOGLESS_REGIONS.length; i += 10) {
      groups.push(inRegion(CLOUDFRONT_LOGLESS_REGIONS.slice(i, i + 10)));
    }
    const condition = new CfnCondition(this, 'InLoglessRegion', {
      expression: groups.length === 1 ? groups[0] : Fn.conditionOr(...groups),
    });
    const cfn = this.distribution.node.defaultChild as cloudfront.CfnDistribution;
    cfn.addPropertyOverride(
      'DistributionConfig.Logging',
      Fn.conditionIf(condition.logicalId, Aws.NO_VALUE, {
        Bucket: this.logBucket.bucketRegionalDomainName,
        Prefix: CLOUDFRONT_LOG_PREFIX,
      }),
    );
  }

  private acknowledgeNagFindings(
    props: DashboardSiteProps,
    logless: boolean | undefined,
    deployRole: iam.Role,
    deployHandler: Construct,
  ): void {
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the dashboard bucket and distribution; logging it into itself would loop.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Webhook customers are worldwide; the API behind /api/* authenticates every request with an API key.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The origins are static files and an API with stage throttling and a per-key rate limit; a WAF web ACL is a cost decision left to each deployment.',
      },
    );
    if (logless === true) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR3',
        reason: `CloudFront cannot deliver standard logs to a bucket in ${Stack.of(this).region} (an opt-in region); API requests are still access-logged by the HTTP API stage.`,
      });
    }
    if (!props.certificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose TLS policy cannot be set; with `certificate` the distribution requires TLSv1.2_2021.',
      });
    }
    // aws-cdk-lib's BucketDeployment adds these grants to its handler's role itself (grantRead on the
    // CDK asset bucket, grantReadWrite on the dashboard bucket); their action lists use wildcards.
    const grantReason = (what: string) =>
      `BucketDeployment's own grant for syncing the site: ${what}. Scoped to the dashboard bucket and the CDK asset bucket.`;
    Validations.of(deployRole).acknowledge(
      ...(['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'] as const).map(
        (action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: grantReason(`${action} comes from grantRead/grantReadWrite`),
        }),
      ),
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: grantReason('the site is synced as a whole, and this bucket holds nothing else'),
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: grantReason(
          'the built site is read from the CDK bootstrap asset bucket, keyed by content hash',
        ),
      },
    );
    Validations.of(deployHandler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "The runtime of aws-cdk-lib's BucketDeployment handler is chosen and upgraded by aws-cdk-lib; it runs only during deployments.",
    });
  }
}
