import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DEFAULT_AUTO_DISABLE_AFTER_SECONDS,
  DEFAULT_KEY_CREATIONS_PER_HOUR,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  ENV,
  TABLES,
  type TableName,
  WORKSPACE_CEILING_IN_KEYS,
} from '../functions/resources.ts';
import { DashboardSite } from './constructs/dashboard-site.ts';
import { type ConsumerSizing, EventPipeline } from './constructs/event-pipeline.ts';
import { ManagementApi } from './constructs/management-api.ts';
import { type AlarmThresholds, Monitoring } from './constructs/monitoring.ts';
import { SecretKey } from './constructs/secret-key.ts';
import { Tables } from './constructs/tables.ts';
import { assertStageName, DEFAULT_STAGE, isProductionStage, serviceNameFor } from './stage.ts';

export interface EncrataWebhooksStackProps extends StackProps {
  /**
   * The stage this stack is (`-c stage=`): it names the stack (lib/stage.ts `stackNameFor`) and every
   * resource with an explicit name, and the service name the metrics are emitted under. A production
   * stage (`prod`, `prod-…`) refuses RemovalPolicy.DESTROY.
   * @default DEFAULT_STAGE ('prod')
   */
  readonly stage?: string;
  /**
   * Delays between delivery attempts, in seconds.
   * @default DEFAULT_RETRY_SCHEDULE_SECONDS (contract §5)
   */
  readonly retrySchedule?: readonly number[];
  /**
   * How long a webhook may fail without a success before it is disabled (contract §5), in seconds.
   * @default DEFAULT_AUTO_DISABLE_AFTER_SECONDS (5 days)
   */
  readonly autoDisableAfterSeconds?: number;
  /** How long function and access logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of everything that holds data: tables, secret key, queues and dead-letter queues,
   * buckets, log groups. DESTROY (everything goes with the stack) is for throw-away stages only, and a
   * production stage refuses it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * An address the alarm topic mails (`-c alarmEmail=`).
   * @default - none: subscribe to the `AlarmTopicArn` output otherwise
   */
  readonly alarmEmail?: string;
  /** Alarm thresholds. @default DEFAULT_ALARM_THRESHOLDS */
  readonly alarmThresholds?: AlarmThresholds;
  /** Memory and concurrency of the fan-out function. @default - EventPipeline's defaults */
  readonly fanout?: ConsumerSizing;
  /** Memory and concurrency of the dispatcher. @default - EventPipeline's defaults */
  readonly dispatcher?: ConsumerSizing;
  /** Maximum webhooks per workspace (contract §2). @default 50 */
  readonly maxWebhooksPerWorkspace?: number;
  /** Requests per minute per API key on /api/webhooks* (contract §1). @default 30 */
  readonly rateLimitPerMinute?: number;
  /** Requests per minute across all API keys of a workspace on /api/webhooks*. @default 4 × rateLimitPerMinute (120) */
  readonly workspaceRateLimitPerMinute?: number;
  /** API keys a workspace may create through the API per hour. @default 10 */
  readonly keyCreationsPerHour?: number;
}

/** The webhook system: tables, secret key, event pipeline, management API, dashboard and alarms. */
export class EncrataWebhooksStack extends Stack {
  readonly tables: Tables;
  readonly pipeline: EventPipeline;
  readonly api: ManagementApi;
  readonly dashboard: DashboardSite;
  readonly monitoring: Monitoring;
  /** The stage this stack is. */
  readonly stage: string;

  constructor(scope: Construct, id: string, props: EncrataWebhooksStackProps = {}) {
    super(scope, id, props);
    this.stage = props.stage ?? DEFAULT_STAGE;
    assertStageName(this.stage);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && isProductionStage(this.stage)) {
      throw new Error(
        `stage "${this.stage}" is a production stage: its data is retained whatever happens to the stack ` +
          '(removalPolicy destroy is for throw-away stages, e.g. -c stage=dev)',
      );
    }
    const serviceName = serviceNameFor(this.stage);

    this.tables = new Tables(this, 'Tables', { removalPolicy });
    const secretKey = new SecretKey(this, 'SecretKey', { removalPolicy });

    // One environment for every function: functions/shared/config.ts validates it at cold start.
    const environment: Record<string, string> = {
      [ENV.webhooksTable]: this.tables.webhooks.tableName,
      [ENV.deliveriesTable]: this.tables.deliveries.tableName,
      [ENV.eventsTable]: this.tables.events.tableName,
      [ENV.apiKeysTable]: this.tables.apiKeys.tableName,
      [ENV.rateLimitsTable]: this.tables.rateLimits.tableName,
      [ENV.secretKeyArn]: secretKey.secretArn,
      [ENV.maxWebhooks]: String(props.maxWebhooksPerWorkspace ?? 50),
      [ENV.autoDisableAfterSeconds]: String(autoDisableAfterSeconds(props.autoDisableAfterSeconds)),
      [ENV.rateLimitPerMinute]: String(props.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE),
      [ENV.workspaceRateLimitPerMinute]: String(
        props.workspaceRateLimitPerMinute ??
          WORKSPACE_CEILING_IN_KEYS * (props.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE),
      ),
      [ENV.keyCreationsPerHour]: String(props.keyCreationsPerHour ?? DEFAULT_KEY_CREATIONS_PER_HOUR),
    };

    this.pipeline = new EventPipeline(this, 'Pipeline', {
      tables: this.tables,
      secretKey,
      environment,
      retrySchedule: props.retrySchedule,
      fanout: props.fanout,
      dispatcher: props.dispatcher,
      logRetention: props.logRetention,
      removalPolicy,
      serviceName,
    });

    this.api = new ManagementApi(this, 'Api', {
      tables: this.tables,
      secretKey,
      queues: { events: this.pipeline.eventsQueue, deliveries: this.pipeline.deliveriesQueue },
      environment: this.pipeline.environment,
      logRetention: props.logRetention,
      removalPolicy,
      serviceName,
    });

    this.dashboard = new DashboardSite(this, 'Dashboard', {
      httpApi: this.api.httpApi,
      removalPolicy,
      logRetention: props.logRetention,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      pipeline: this.pipeline,
      api: this.api,
      alarmEmail: props.alarmEmail,
      thresholds: props.alarmThresholds,
      serviceName,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiUrl, description: 'Management API base URL' });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.dashboard.url,
      description: 'Settings → Webhooks page; the API is also served here under /api',
    });
    new CfnOutput(this, 'EventsQueueUrl', {
      value: this.pipeline.eventsQueue.queueUrl,
      description: 'Producers publish events here',
    });
    new CfnOutput(this, 'EventsQueueArn', { value: this.pipeline.eventsQueue.queueArn });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', { value: this.pipeline.eventsDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeliveriesDeadLetterQueueUrl', {
      value: this.pipeline.deliveriesDeadLetterQueue.queueUrl,
    });
    // ARNs for `npm run redrive -- --aws --dlq-arn … --queue-arn …` (SQS message move tasks).
    new CfnOutput(this, 'EventsDeadLetterQueueArn', { value: this.pipeline.eventsDeadLetterQueue.queueArn });
    new CfnOutput(this, 'DeliveriesQueueArn', { value: this.pipeline.deliveriesQueue.queueArn });
    new CfnOutput(this, 'DeliveriesDeadLetterQueueArn', {
      value: this.pipeline.deliveriesDeadLetterQueue.queueArn,
    });
    new CfnOutput(this, 'SecretKeyArn', { value: secretKey.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Every alarm notifies this topic (on alarm and on recovery)',
    });
    new CfnOutput(this, 'MonitoringDashboardName', { value: this.monitoring.dashboard.dashboardName });
    for (const name of Object.keys(TABLES) as TableName[]) {
      new CfnOutput(this, `${TABLES[name].logicalName}TableName`, {
        value: this.tables.table(name).tableName,
      });
    }
  }

  /** The queue producers publish events to (contract §4, "Publishing"). */
  get eventsQueue(): sqs.IQueue {
    return this.pipeline.eventsQueue;
  }

  /** Lets `grantee` (e.g. a Lambda in another stack) publish events. */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.pipeline.grantPublish(grantee);
  }
}

function autoDisableAfterSeconds(value: number | undefined): number {
  const seconds = value ?? DEFAULT_AUTO_DISABLE_AFTER_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`autoDisableAfterSeconds: expected a positive whole number of seconds, got ${seconds}`);
  }
  return seconds;
}
