import { Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, deliveryMaxReceiveCount, ENV } from '../../functions/resources.ts';
import { EventPipeline, type EventPipelineProps } from '../../lib/constructs/event-pipeline.ts';
import { SecretKey } from '../../lib/constructs/secret-key.ts';
import { Tables } from '../../lib/constructs/tables.ts';
import { newApp, outputTarget, projectFunctions, referencedId, resource, synthesize } from './support.ts';

const CUSTOM_SCHEDULE = [5, 10, 20];

describe('a custom retry schedule', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize({ retrySchedule: CUSTOM_SCHEDULE }).template;
  });

  test('reaches every function and resizes the deliveries maxReceiveCount', () => {
    const functions = Object.values(projectFunctions(template));
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables[ENV.retrySchedule]).toBe('5,10,20');
    }
    const deliveriesQueueId = referencedId(
      (functions[0] as (typeof functions)[number]).Properties.Environment.Variables[ENV.deliveriesQueueUrl],
    );
    const maxReceiveCount = resource(template, deliveriesQueueId).Properties.RedrivePolicy.maxReceiveCount;
    expect(maxReceiveCount).toBe(deliveryMaxReceiveCount(CUSTOM_SCHEDULE.length));
    expect(maxReceiveCount).toBeGreaterThan(CUSTOM_SCHEDULE.length + 1);
    expect(maxReceiveCount).not.toBe(deliveryMaxReceiveCount(DEFAULT_RETRY_SCHEDULE_SECONDS.length));
    // The events queue does not depend on the schedule.
    const eventsQueue = resource(template, outputTarget(template, 'EventsQueueArn'));
    expect(eventsQueue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
  });
});

describe('invalid pipeline settings fail synthesis', () => {
  function build(props: Partial<EventPipelineProps>): () => EventPipeline {
    return () => {
      const stack = new Stack(newApp(), 'Invalid');
      const tables = new Tables(stack, 'Tables');
      const secretKey = new SecretKey(stack, 'SecretKey');
      return new EventPipeline(stack, 'Pipeline', { tables, secretKey, environment: {}, ...props });
    };
  }

  test('a visibility timeout below 6x the consumer timeout', () => {
    expect(build({ dispatcherTimeout: Duration.seconds(31) })).toThrow(
      /Deliveries queue: visibility timeout 180 s is below 6x its consumer's timeout \(186 s\)/,
    );
    expect(
      build({ fanoutTimeout: Duration.seconds(60), eventsVisibilityTimeout: Duration.seconds(359) }),
    ).toThrow(/Events queue: visibility timeout 359 s/);
  });

  test('a visibility timeout of exactly 6x is accepted', () => {
    expect(
      build({ fanoutTimeout: Duration.seconds(60), eventsVisibilityTimeout: Duration.seconds(360) }),
    ).not.toThrow();
  });

  test.each([
    [[], /at least one retry delay/],
    [[5, 0], /0 is not a whole number of seconds/],
    [[5, 1.5], /1.5 is not a whole number of seconds/],
    [[42_901], /42901 is not a whole number of seconds between 1 and 42900/],
    [Array.from({ length: 30 }, () => 42_900), /more than the queue keeps a message/],
  ])('a retry schedule of %j', (retrySchedule, message) => {
    expect(build({ retrySchedule })).toThrow(message);
  });
});
