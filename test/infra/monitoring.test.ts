import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { MAX_RETRY_DELAY_SECONDS } from '../../functions/resources.ts';
import { ROUTES } from '../../functions/routes.ts';
import { DELIVERY_METRICS } from '../../lib/constructs/monitoring.ts';
import {
  outputTarget,
  projectFunctions,
  type Resource,
  referencedId,
  referencedIds,
  resource,
  resourcesOfType,
  synthesize,
} from './support.ts';

let template: Template;
let alarms: Record<string, Resource>;
let topicId: string;

beforeAll(() => {
  template = synthesize({ alarmEmail: 'oncall@example.com' }).template;
  alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
  topicId = outputTarget(template, 'AlarmTopicArn');
});

/** The alarm named `Test-<suffix>` (alarm names are the stack name and the alarm's id). */
function alarm(suffix: string): Resource['Properties'] {
  const found = Object.values(alarms).filter(
    (candidate) => candidate.Properties.AlarmName === `Test-${suffix}`,
  );
  expect(found).toHaveLength(1);
  return (found[0] as Resource).Properties;
}

describe('the alarm topic', () => {
  test('is one topic, TLS only, that the alarm email subscribes to', () => {
    expect(Object.keys(resourcesOfType(template, 'AWS::SNS::Topic'))).toEqual([topicId]);
    expect(resource(template, topicId).Properties.TopicName).toBe('Test-alarms');
    const subscriptions = Object.values(resourcesOfType(template, 'AWS::SNS::Subscription'));
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'oncall@example.com' });
    expect(referencedId(subscriptions[0]?.Properties.TopicArn)).toBe(topicId);
    const [policy] = Object.values(resourcesOfType(template, 'AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('aws:SecureTransport');
  });

  test('without an alarm email there is no subscription, and the topic is still there', () => {
    const bare = synthesize().template;
    expect(Object.keys(resourcesOfType(bare, 'AWS::SNS::Subscription'))).toHaveLength(0);
    expect(Object.keys(resourcesOfType(bare, 'AWS::SNS::Topic'))).toHaveLength(1);
  });

  test('every alarm notifies it when it fires and when it clears, and names its runbook entry', () => {
    const runbook = readFileSync(join(process.cwd(), 'docs/operations.md'), 'utf8');
    for (const item of Object.values(alarms)) {
      const properties = item.Properties;
      expect(properties.AlarmActions.map(referencedId)).toEqual([topicId]);
      expect(properties.OKActions.map(referencedId)).toEqual([topicId]);
      expect(properties.TreatMissingData).toBe('notBreaching');
      const entry = /Runbook: docs\/operations\.md, "Runbook", (\w+)\.$/.exec(
        properties.AlarmDescription,
      )?.[1];
      expect({ alarm: properties.AlarmName, entry: entry && runbook.includes(`### \`${entry}\``) }).toEqual({
        alarm: properties.AlarmName,
        entry: true,
      });
    }
  });
});

describe('the alarms', () => {
  const queueAlarm = (suffix: string, output: string) => {
    const properties = alarm(suffix);
    expect(properties.Namespace).toBe('AWS/SQS');
    expect(referencedIds(properties.Dimensions)).toEqual(new Set([outputTarget(template, output)]));
    return properties;
  };

  test('events DLQ: not empty', () => {
    expect(queueAlarm('EventsDeadLetter', 'EventsDeadLetterQueueArn')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });

  test('deliveries dead-lettered: more than 100 in an hour, not "any"', () => {
    expect(queueAlarm('DeliveriesDeadLettered', 'DeliveriesDeadLetterQueueArn')).toMatchObject({
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      Period: 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 100,
      EvaluationPeriods: 1,
    });
    // No alarm on the deliveries DLQ's depth: a dead customer endpoint would keep it red for 14 days.
    const dlq = outputTarget(template, 'DeliveriesDeadLetterQueueArn');
    const onDlq = Object.values(alarms).filter((a) => referencedIds(a.Properties.Dimensions).has(dlq));
    expect(onDlq.map((a) => a.Properties.MetricName)).toEqual(['NumberOfMessagesSent']);
  });

  test('the age of the oldest message, on both queues', () => {
    expect(queueAlarm('EventsOldestMessage', 'EventsQueueArn')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 600,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    // Retries wait in the deliveries queue, up to 12 h a delay: two of them are not an alarm.
    expect(queueAlarm('DeliveriesOldestMessage', 'DeliveriesQueueArn')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 2 * MAX_RETRY_DELAY_SECONDS + 3600,
    });
  });

  test('deliveries backlog: 1,000 due messages for 15 minutes running', () => {
    expect(queueAlarm('DeliveriesBacklog', 'DeliveriesQueueArn')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Minimum',
      Period: 60,
      Threshold: 1000,
      EvaluationPeriods: 15,
      DatapointsToAlarm: 15,
    });
  });

  test('errors and throttles of each function', () => {
    const functionIds = Object.keys(projectFunctions(template));
    expect(functionIds).toHaveLength(ROUTES.length + 3);
    for (const metric of ['Errors', 'Throttles']) {
      const watched = Object.values(alarms)
        .filter((a) => a.Properties.Namespace === 'AWS/Lambda' && a.Properties.MetricName === metric)
        .map((a) => referencedId(a.Properties.Dimensions[0].Value));
      expect(watched.sort()).toEqual([...functionIds].sort());
    }
    expect(alarm('DispatcherErrors')).toMatchObject({ Threshold: 1, Period: 300, Statistic: 'Sum' });
    expect(alarm('FanoutErrors')).toMatchObject({ Threshold: 1, Period: 300 });
    expect(alarm('ApiWebhooksGetErrors')).toMatchObject({ Threshold: 3, Period: 300 });
    expect(alarm('DispatcherThrottles')).toMatchObject({ Threshold: 1, Period: 300 });
  });

  test('API 5xx rate: 5 % of at least 20 requests in 5 minutes', () => {
    const properties = alarm('ApiServerErrors');
    expect(properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const metrics = properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Dimensions?: unknown }; Stat?: string };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(requests >= 20, 100 * errors / requests, 0)',
    );
    const stat = (id: string) => metrics.find((m) => m.Id === id)?.MetricStat;
    expect(stat('errors')).toMatchObject({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx' },
      Stat: 'Sum',
    });
    expect(stat('requests')).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' } });
    const apiId = Object.keys(resourcesOfType(template, 'AWS::ApiGatewayV2::Api'))[0];
    expect(referencedIds(stat('errors')?.Metric.Dimensions)).toEqual(new Set([apiId]));
  });

  test('custom thresholds reach the alarms', () => {
    const custom = synthesize({
      alarmThresholds: { deadLetteredDeliveriesPerHour: 5, apiServerErrorPercent: 1 },
    }).template;
    const find = (suffix: string) =>
      Object.values(resourcesOfType(custom, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === `Test-${suffix}`,
      )?.Properties.Threshold;
    expect(find('DeliveriesDeadLettered')).toBe(5);
    expect(find('ApiServerErrors')).toBe(1);
  });
});

describe('the dashboard', () => {
  let body: string;
  beforeAll(() => {
    const dashboards = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // The body is a Fn::Join of JSON text and references: the literal parts are enough to read.
    const parts = (dashboards[0] as Resource).Properties.DashboardBody['Fn::Join'][1] as unknown[];
    body = parts.map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
  });

  test('charts every delivery metric under the namespace and service dimension the functions emit', () => {
    for (const name of [
      ...DELIVERY_METRICS.outcomes,
      DELIVERY_METRICS.latency,
      DELIVERY_METRICS.queued,
      DELIVERY_METRICS.invalid,
      DELIVERY_METRICS.disabled,
    ]) {
      expect(body).toContain(`["Encrata/Webhooks","${name}","service","encrata-webhooks"`);
    }
    for (const statistic of ['p50', 'p90', 'p99']) expect(body).toContain(`"stat":"${statistic}"`);
  });

  test('charts queue depth and age, the consumers against their MaximumConcurrency, and the API', () => {
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateAgeOfOldestMessage',
      'ConcurrentExecutions',
      '"5xx"',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('"value":50,"label":"MaximumConcurrency"');
    expect(body).toContain('"value":10,"label":"MaximumConcurrency"');
  });

  test('the delivery metrics it charts are the ones the code emits and the docs list', () => {
    const read = (path: string) => readFileSync(join(process.cwd(), path), 'utf8');
    const code = [
      'functions/shared/delivery-report.ts',
      'functions/fanout/handler.ts',
      'functions/shared/sqs.ts',
    ]
      .map(read)
      .join('\n');
    const emitted = new Set([
      ...[...code.matchAll(/addMetric\(\s*'(\w+)'/g)].map((m) => m[1]),
      ...[...code.matchAll(/^\s+\w+: '(Delivery\w+)',$/gm)].map((m) => m[1]),
    ]);
    const charted = new Set([
      ...DELIVERY_METRICS.outcomes,
      DELIVERY_METRICS.latency,
      DELIVERY_METRICS.queued,
      DELIVERY_METRICS.invalid,
      DELIVERY_METRICS.disabled,
    ]);
    expect([...emitted].sort()).toEqual([...charted].sort());
    const documented = read('docs/operations.md');
    for (const name of charted) expect(documented).toContain(`\`${name}\``);
    expect(documented).not.toContain('EventPublishFailures');
  });
});
