import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { MAX_RETRY_DELAY_SECONDS } from '../../functions/resources.ts';
import { accountWideName, regionalName, toPascalCase } from '../stage.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { ManagementApi } from './management-api.ts';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE, type NodeFunction } from './node-function.ts';

/** Where every alarm's runbook entry lives (its description names the entry). */
export const RUNBOOK = 'docs/operations.md, "Runbook"';

/** The delivery metrics the functions emit (functions/shared/delivery-report.ts, functions/fanout). */
export const DELIVERY_METRICS = {
  outcomes: [
    'DeliverySucceeded',
    'DeliveryRetried',
    'DeliveryFailed',
    'DeliveryStopped',
    'DeliverySkipped',
    'DeliveryThrottled',
    'DeliveryErrors',
  ],
  latency: 'DeliveryLatency',
  queued: 'DeliveriesQueued',
  invalid: 'InvalidMessages',
  disabled: 'WebhooksDisabled',
} as const;

/** When the alarms fire; docs/operations.md ("Runbook") says why each default is what it is. */
export interface AlarmThresholds {
  /**
   * Deliveries dead-lettered (given up after their last attempt) in one hour. Not "any": a customer's
   * dead endpoint dead-letters its deliveries every hour, and that is normal.
   * @default 100
   */
  readonly deadLetteredDeliveriesPerHour?: number;
  /** Age of the oldest event waiting for fan-out, in seconds, for 3 minutes running. @default 600 */
  readonly eventsOldestMessageSeconds?: number;
  /**
   * Age of the oldest delivery message SQS counts, in seconds. Scheduled retries wait in the deliveries
   * queue (up to 12 h a delay, Retry-After included) and SQS counts a message until its third receive, so a
   * healthy delivery shows up to two such delays.
   * @default two longest retry delays plus an hour (2 × MAX_RETRY_DELAY_SECONDS + 3600)
   */
  readonly deliveriesOldestMessageSeconds?: number;
  /** Delivery messages visible (due, not yet received) for 15 minutes running. @default 1000 */
  readonly deliveriesBacklog?: number;
  /** Share of API requests answered 5xx over 5 minutes, in percent. @default 5 */
  readonly apiServerErrorPercent?: number;
  /** Fewest API requests in 5 minutes for the 5xx share to count. @default 20 */
  readonly apiMinimumRequests?: number;
  /** Invocation errors of one API function in 5 minutes. @default 3 */
  readonly apiFunctionErrors?: number;
  /** Invocation errors of the fan-out or the dispatcher in 5 minutes. @default 1 */
  readonly pipelineFunctionErrors?: number;
}

export const DEFAULT_ALARM_THRESHOLDS: Required<AlarmThresholds> = {
  deadLetteredDeliveriesPerHour: 100,
  eventsOldestMessageSeconds: 600,
  deliveriesOldestMessageSeconds: 2 * MAX_RETRY_DELAY_SECONDS + 3600,
  deliveriesBacklog: 1000,
  apiServerErrorPercent: 5,
  apiMinimumRequests: 20,
  apiFunctionErrors: 3,
  pipelineFunctionErrors: 1,
};

export interface MonitoringProps {
  /** The queues and consumers to watch. */
  readonly pipeline: EventPipeline;
  /** The API (5xx rate) and its functions to watch. */
  readonly api: ManagementApi;
  /**
   * An address the alarm topic mails (it confirms the subscription once, from the mail AWS sends).
   * @default - none: subscribe to the topic (`AlarmTopicArn` output) by other means
   */
  readonly alarmEmail?: string;
  /** Alarm thresholds. @default DEFAULT_ALARM_THRESHOLDS */
  readonly thresholds?: AlarmThresholds;
  /** The Powertools service name the functions emit their metrics under. @default DEFAULT_SERVICE_NAME */
  readonly serviceName?: string;
}

/**
 * Operator signals: one SNS topic every alarm notifies (on alarm and on recovery), the alarms, and a
 * CloudWatch dashboard of the delivery metrics, the queues, the consumers and the API. Each alarm's
 * description names its runbook entry.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const thresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };
    const { pipeline, api } = props;
    const service = props.serviceName ?? DEFAULT_SERVICE_NAME;

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: regionalName(this, 'alarms'),
      displayName: `${Stack.of(this).stackName} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names, states and metric values, nothing secret; CloudWatch cannot publish to a topic under the AWS managed SNS key, and a customer managed key would add cost and key-policy upkeep for no confidentiality gain.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);

    // Queues.
    const eventsDlqDepth = pipeline.eventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    });
    this.alarm('EventsDeadLetter', eventsDlqDepth, {
      description:
        'The events dead-letter queue holds an event: invalid (see its reason) or fan-out failed 5 times.',
      runbook: 'EventsDeadLetter',
      threshold: 1,
      evaluationPeriods: 1,
    });
    // Counts the dispatcher's explicit sends (a delivery given up); SQS's own maxReceiveCount moves are
    // not sends, and those are crashes the function alarms report.
    const deadLettered = pipeline.deliveriesDeadLetterQueue.metricNumberOfMessagesSent({
      period: Duration.hours(1),
      statistic: 'Sum',
    });
    this.alarm('DeliveriesDeadLettered', deadLettered, {
      description: `More than ${thresholds.deadLetteredDeliveriesPerHour} deliveries were given up (dead-lettered) in an hour.`,
      runbook: 'DeliveriesDeadLettered',
      threshold: thresholds.deadLetteredDeliveriesPerHour,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const eventsAge = pipeline.eventsQueue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    });
    this.alarm('EventsOldestMessage', eventsAge, {
      description: `An event has waited over ${thresholds.eventsOldestMessageSeconds} s for fan-out.`,
      runbook: 'EventsOldestMessage',
      threshold: thresholds.eventsOldestMessageSeconds,
      evaluationPeriods: 3,
    });
    const deliveriesAge = pipeline.deliveriesQueue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    this.alarm('DeliveriesOldestMessage', deliveriesAge, {
      description: `A delivery message has waited over ${thresholds.deliveriesOldestMessageSeconds} s without its third receive: the deliveries queue is not being consumed.`,
      runbook: 'DeliveriesOldestMessage',
      threshold: thresholds.deliveriesOldestMessageSeconds,
      evaluationPeriods: 1,
    });
    const deliveriesVisible = pipeline.deliveriesQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Minimum',
    });
    this.alarm('DeliveriesBacklog', deliveriesVisible, {
      description: `At least ${thresholds.deliveriesBacklog} deliveries have been due and waiting for 15 minutes: the dispatcher is not keeping up.`,
      runbook: 'DeliveriesBacklog',
      threshold: thresholds.deliveriesBacklog,
      evaluationPeriods: 15,
    });

    // Functions: every invocation error is a crash, a timeout or a failed cold start (handlers turn
    // expected failures into responses or batch item failures); every throttle is a refused request or
    // a receive spent.
    const functions: [string, NodeFunction, number][] = [
      ['Fanout', pipeline.fanout, thresholds.pipelineFunctionErrors],
      ['Dispatcher', pipeline.dispatcher, thresholds.pipelineFunctionErrors],
      ...[...api.functions].map(
        ([name, fn]) =>
          [`Api${toPascalCase(name)}`, fn, thresholds.apiFunctionErrors] as [string, NodeFunction, number],
      ),
    ];
    for (const [label, fn, errors] of functions) {
      this.alarm(
        `${label}Errors`,
        fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        {
          description: `${label}: ${errors} or more invocation errors in 5 minutes.`,
          runbook: 'FunctionErrors',
          threshold: errors,
          evaluationPeriods: 1,
        },
      );
      this.alarm(
        `${label}Throttles`,
        fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        {
          description: `${label}: invocations throttled.`,
          runbook: 'FunctionThrottles',
          threshold: 1,
          evaluationPeriods: 1,
        },
      );
    }

    // API: the share of requests answered 5xx, once there are enough requests to make a share.
    const requests = api.httpApi.metricCount({ period: Duration.minutes(5), statistic: 'Sum' });
    const serverErrors = api.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    const serverErrorPercent = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${thresholds.apiMinimumRequests}, 100 * errors / requests, 0)`,
      usingMetrics: { requests, errors: serverErrors },
      period: Duration.minutes(5),
      label: 'API 5xx (% of requests)',
    });
    this.alarm('ApiServerErrors', serverErrorPercent, {
      description: `${thresholds.apiServerErrorPercent} % or more of API requests answered 5xx in 5 minutes (with at least ${thresholds.apiMinimumRequests} requests).`,
      runbook: 'ApiServerErrors',
      threshold: thresholds.apiServerErrorPercent,
      evaluationPeriods: 1,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: accountWideName(this, 'webhooks'),
      defaultInterval: Duration.hours(6),
    });
    const delivery = (metricName: string, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: Duration.minutes(5),
        label,
      });
    const consumers: [string, NodeFunction, number][] = [
      ['fan-out', pipeline.fanout, pipeline.maxConcurrency.fanout],
      ['dispatcher', pipeline.dispatcher, pipeline.maxConcurrency.dispatcher],
    ];
    const queues = [
      ['events', pipeline.eventsQueue, pipeline.eventsDeadLetterQueue],
      ['deliveries', pipeline.deliveriesQueue, pipeline.deliveriesDeadLetterQueue],
    ] as const;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Deliveries by outcome (per 5 min)',
        left: DELIVERY_METRICS.outcomes.map((name) => delivery(name, 'Sum', name.replace(/^Delivery/, ''))),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Delivery latency: event arrival → successful receipt (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          delivery(DELIVERY_METRICS.latency, statistic, statistic),
        ),
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Deliveries queued; invalid messages, webhooks disabled (per 5 min)',
        left: [delivery(DELIVERY_METRICS.queued, 'Sum', 'queued')],
        right: [
          delivery(DELIVERY_METRICS.invalid, 'Sum', 'invalid messages'),
          delivery(DELIVERY_METRICS.disabled, 'Sum', 'webhooks disabled'),
        ],
        width: 8,
      }),
      ...queues.map(
        ([name, queue, dlq]) =>
          new cloudwatch.GraphWidget({
            title: `${name} queue: depth and dead letters`,
            left: [
              queue.metricApproximateNumberOfMessagesVisible({
                label: 'due (visible)',
                statistic: 'Maximum',
              }),
              queue.metricApproximateNumberOfMessagesNotVisible({
                label: 'in flight or waiting to retry',
                statistic: 'Maximum',
              }),
              dlq.metricApproximateNumberOfMessagesVisible({ label: 'dead letters', statistic: 'Maximum' }),
            ],
            right: [queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', statistic: 'Maximum' })],
            width: 8,
          }),
      ),
    );
    this.dashboard.addWidgets(
      ...consumers.map(
        ([name, fn, maxConcurrency]) =>
          new cloudwatch.GraphWidget({
            title: `${name}: concurrency (limit ${maxConcurrency}), errors, throttles`,
            left: [fn.function.metric('ConcurrentExecutions', { statistic: 'Maximum', label: 'concurrent' })],
            leftAnnotations: [{ value: maxConcurrency, label: 'MaximumConcurrency' }],
            right: [
              fn.function.metricErrors({ statistic: 'Sum', label: 'errors' }),
              fn.function.metricThrottles({ statistic: 'Sum', label: 'throttles' }),
            ],
            width: 8,
          }),
      ),
      new cloudwatch.GraphWidget({
        title: 'API: requests, 4xx, 5xx; latency p99 (ms)',
        left: [
          api.httpApi.metricCount({ statistic: 'Sum', label: 'requests' }),
          api.httpApi.metricClientError({ statistic: 'Sum', label: '4xx' }),
          api.httpApi.metricServerError({ statistic: 'Sum', label: '5xx' }),
        ],
        right: [api.httpApi.metricLatency({ statistic: 'p99', label: 'latency p99' })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dispatcher duration (ms): a batch waits for its slowest receiver',
        left: ['p50', 'p99', 'Maximum'].map((statistic) =>
          pipeline.dispatcher.function.metricDuration({ statistic, label: statistic }),
        ),
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 8 }),
    );
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    options: {
      description: string;
      runbook: string;
      threshold: number;
      evaluationPeriods: number;
      comparisonOperator?: cloudwatch.ComparisonOperator;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmName: regionalName(this, id),
      alarmDescription: `${options.description} Runbook: ${RUNBOOK}, ${options.runbook}.`,
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      datapointsToAlarm: options.evaluationPeriods,
      comparisonOperator:
        options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No datapoint means nothing happened: idle functions and queues publish none.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
