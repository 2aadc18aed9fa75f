import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  /** Dead-letter queues to watch, by a PascalCase label used in construct ids and alarm descriptions. */
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
  /**
   * What an alarm does when it fires and when it clears (e.g. an SNS topic action).
   * @default - none; the alarm state is visible in CloudWatch only
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

/**
 * Operator signals. A message in a dead-letter queue is never normal here: an invalid event, a
 * delivery that exhausted its retries, or a crashing consumer. One alarm per dead-letter queue.
 */
export class Monitoring extends Construct {
  readonly deadLetterAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    for (const [label, queue] of Object.entries(props.deadLetterQueues)) {
      const alarm = queue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
        .createAlarm(this, `${label}DeadLetterAlarm`, {
          alarmDescription: `${label} dead-letter queue holds messages: inspect them, fix the cause, then redrive.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // SQS publishes no datapoints for an idle queue; no data means nothing dead-lettered.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      for (const action of props.alarmActions ?? []) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.deadLetterAlarms.push(alarm);
    }
  }
}
