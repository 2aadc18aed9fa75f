import * as path from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleAliases, FUNCTION_BUNDLING } from '../bundling.ts';

/** The service name every function reports under when none is given (Powertools reads it). */
export const DEFAULT_SERVICE_NAME = 'encrata-webhooks';
/** The namespace of the custom metrics (EMF) every function emits. */
export const METRICS_NAMESPACE = 'Encrata/Webhooks';

export interface NodeFunctionProps {
  /** Handler entry file, relative to `projectRoot` (e.g. `functions/fanout/handler.ts`); it exports `handler`. */
  readonly entry: string;
  /** Maximum run time of one invocation. */
  readonly timeout: Duration;
  /** Human-readable description shown in the Lambda console. @default - none */
  readonly description?: string;
  /** Environment variables, added to the Powertools and source-map variables every function gets. @default - none */
  readonly environment?: Record<string, string>;
  /** Memory in MiB; CPU scales with it. @default 256 */
  readonly memorySize?: number;
  /**
   * Concurrency reserved for this function out of the account's pool (and its ceiling). For an SQS
   * consumer it must not be below the event source's MaximumConcurrency: throttled receives count
   * toward the queue's maxReceiveCount.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * The Powertools service name: the `service` dimension of its custom metrics and the `service` of its
   * log lines. One per stage, so that stages sharing an account and region never mix metrics.
   * @default DEFAULT_SERVICE_NAME
   */
  readonly serviceName?: string;
  /** How long the function's logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack: a throw-away stage takes its logs with it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Directory holding package.json, package-lock.json and tsconfig.json; `entry` is resolved against it.
   * The CDK CLI and jest both run from the project root, which is why the working directory is the default
   * (lib/ cannot use `import.meta` because jest compiles it to CommonJS).
   * @default process.cwd()
   */
  readonly projectRoot?: string;
}

/**
 * The one way this project makes a Lambda function: Node.js 24 on arm64, bundled locally by esbuild
 * (AWS SDK included, so the deployed SDK is the version we pinned and tested), JSON logs into an
 * explicit log group with retention, and active X-Ray tracing (the function's own segments; which
 * functions also trace their SDK calls is the code's choice: functions/shared/tracing.ts).
 */
export class NodeFunction extends Construct implements iam.IGrantable {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? process.cwd();

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: the managed policy allows writing to
    // every log group in the account, this one only to the function's own.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      reservedConcurrentExecutions: props.reservedConcurrency,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? DEFAULT_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        target: FUNCTION_BUNDLING.target,
        format: nodejs.OutputFormat.CJS,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        // Bundle everything, the AWS SDK included: the runtime's SDK version is not the one we test.
        externalModules: [],
        bundleAwsSDK: true,
        esbuildArgs: Object.fromEntries(
          Object.entries(bundleAliases(projectRoot)).map(([name, file]) => [`--alias:${name}`, file]),
        ),
      },
    });
    this.grantPrincipal = this.function.grantPrincipal;

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
  }
}
