import { Duration, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  deliveryMaxReceiveCount,
  ENV,
  EVENT_SOURCE_BATCH_SIZE,
  FUNCTION_MEMORY_MB,
  FUNCTION_TIMEOUTS,
  MAX_RETRY_DELAY_SECONDS,
  QUEUES,
  type QueueDefinition,
  VISIBILITY_TIMEOUT_FACTOR,
} from '../../functions/resources.ts';
import { NodeFunction } from './node-function.ts';
import type { SecretKey } from './secret-key.ts';
import type { Tables } from './tables.ts';

/** The dispatcher's ceiling for one retry delay: SQS's 12-hour visibility cap, less a margin. */
const MAX_VISIBILITY_TIMEOUT_SECONDS = MAX_RETRY_DELAY_SECONDS;

export interface EventPipelineProps {
  readonly tables: Tables;
  readonly secretKey: SecretKey;
  /**
   * Environment shared by every function (table names, secret ARN, limits). The pipeline adds the
   * URLs of the queues it owns and the retry schedule; read them back from `environment`.
   */
  readonly environment: Record<string, string>;
  /**
   * Delays between delivery attempts, in seconds (attempts = length + 1). Each must fit in one SQS
   * visibility timeout (12 h) and the sum in the queue's retention period.
   * @default DEFAULT_RETRY_SCHEDULE_SECONDS (contract §5: 8 attempts over ~27.6 h)
   */
  readonly retrySchedule?: readonly number[];
  /** Timeout of the fan-out function. @default FUNCTION_TIMEOUTS.fanout seconds */
  readonly fanoutTimeout?: Duration;
  /** Timeout of the dispatcher function. @default FUNCTION_TIMEOUTS.dispatcher seconds */
  readonly dispatcherTimeout?: Duration;
  /** Visibility timeout of the events queue; at least 6x `fanoutTimeout`. @default QUEUES.events */
  readonly eventsVisibilityTimeout?: Duration;
  /** Visibility timeout of the deliveries queue; at least 6x `dispatcherTimeout`. @default QUEUES.deliveries */
  readonly deliveriesVisibilityTimeout?: Duration;
  /** How long the functions' logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The asynchronous half of the system: producers publish to the events queue, the fan-out function
 * turns each event into one delivery message per subscribed webhook, and the dispatcher delivers
 * them, retrying by stretching the message's visibility timeout. Each queue has a dead-letter queue.
 */
export class EventPipeline extends Construct {
  readonly eventsQueue: sqs.Queue;
  readonly eventsDeadLetterQueue: sqs.Queue;
  readonly deliveriesQueue: sqs.Queue;
  readonly deliveriesDeadLetterQueue: sqs.Queue;
  readonly fanout: NodeFunction;
  readonly dispatcher: NodeFunction;
  /** The shared environment plus this pipeline's queue URLs and retry schedule: give it to every function. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const retrySchedule = props.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_SECONDS;
    assertRetrySchedule(retrySchedule, QUEUES.deliveries.retentionSeconds);
    const fanoutTimeout = props.fanoutTimeout ?? Duration.seconds(FUNCTION_TIMEOUTS.fanout);
    const dispatcherTimeout = props.dispatcherTimeout ?? Duration.seconds(FUNCTION_TIMEOUTS.dispatcher);

    const events = this.createQueue(QUEUES.events, {
      consumerTimeout: fanoutTimeout,
      visibilityTimeout: props.eventsVisibilityTimeout,
      maxReceiveCount: QUEUES.events.maxReceiveCount,
    });
    this.eventsQueue = events.queue;
    this.eventsDeadLetterQueue = events.deadLetterQueue;

    const deliveries = this.createQueue(QUEUES.deliveries, {
      consumerTimeout: dispatcherTimeout,
      visibilityTimeout: props.deliveriesVisibilityTimeout,
      // Sized from the schedule in use, so SQS never dead-letters a delivery that still has attempts left.
      maxReceiveCount: deliveryMaxReceiveCount(retrySchedule.length),
    });
    this.deliveriesQueue = deliveries.queue;
    this.deliveriesDeadLetterQueue = deliveries.deadLetterQueue;

    this.environment = {
      ...props.environment,
      [ENV.eventsQueueUrl]: this.eventsQueue.queueUrl,
      [ENV.eventsDlqUrl]: this.eventsDeadLetterQueue.queueUrl,
      [ENV.deliveriesQueueUrl]: this.deliveriesQueue.queueUrl,
      [ENV.deliveriesDlqUrl]: this.deliveriesDeadLetterQueue.queueUrl,
      [ENV.retrySchedule]: retrySchedule.join(','),
    };

    this.fanout = new NodeFunction(this, 'Fanout', {
      entry: 'functions/fanout/handler.ts',
      description: 'Fans each published event out to one delivery per subscribed webhook',
      timeout: fanoutTimeout,
      memorySize: FUNCTION_MEMORY_MB.fanout,
      environment: this.environment,
      logRetention: props.logRetention,
    });
    this.fanout.function.addEventSource(
      new SqsEventSource(this.eventsQueue, {
        batchSize: EVENT_SOURCE_BATCH_SIZE,
        reportBatchItemFailures: true,
        // Publishers often emit bursts; a short window fills batches without noticeable latency.
        maxBatchingWindow: Duration.seconds(1),
      }),
    );
    props.tables.grant('webhooks', this.fanout, 'read');
    props.tables.grant('events', this.fanout, 'write');
    props.tables.grant('deliveries', this.fanout, 'write');
    this.deliveriesQueue.grantSendMessages(this.fanout);
    // Invalid events are moved to the dead-letter queue explicitly, with the reason logged, rather
    // than being retried maxReceiveCount times first.
    this.eventsDeadLetterQueue.grantSendMessages(this.fanout);

    this.dispatcher = new NodeFunction(this, 'Dispatcher', {
      entry: 'functions/dispatcher/handler.ts',
      description: 'Delivers signed webhook requests and schedules retries',
      timeout: dispatcherTimeout,
      memorySize: FUNCTION_MEMORY_MB.dispatcher,
      environment: this.environment,
      logRetention: props.logRetention,
    });
    this.dispatcher.function.addEventSource(
      new SqsEventSource(this.deliveriesQueue, {
        batchSize: EVENT_SOURCE_BATCH_SIZE,
        reportBatchItemFailures: true,
      }),
    );
    props.tables.grant('webhooks', this.dispatcher, 'read');
    props.tables.grant('events', this.dispatcher, 'read');
    props.tables.grant('deliveries', this.dispatcher, 'write');
    props.secretKey.grantRead(this.dispatcher);
    // The event source grants this already; stated because retries depend on ChangeMessageVisibility.
    this.deliveriesQueue.grantConsumeMessages(this.dispatcher);
    // A delivery that gave up is moved to the dead-letter queue explicitly, where it can be redriven.
    this.deliveriesDeadLetterQueue.grantSendMessages(this.dispatcher);
  }

  /** Lets `grantee` publish events (send to the events queue); for producers in this or other stacks. */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.eventsQueue.grantSendMessages(grantee);
  }

  private createQueue(
    definition: QueueDefinition,
    options: { consumerTimeout: Duration; visibilityTimeout?: Duration; maxReceiveCount: number },
  ): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
    const visibilityTimeout =
      options.visibilityTimeout ?? Duration.seconds(definition.visibilityTimeoutSeconds);
    // AWS's guidance for Lambda consumers: otherwise a message still being processed (or retried by
    // the event source) becomes visible again and is handled twice.
    const minimum = options.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR;
    if (visibilityTimeout.toSeconds() < minimum) {
      throw new Error(
        `${definition.logicalName} queue: visibility timeout ${visibilityTimeout.toSeconds()} s is below ` +
          `${VISIBILITY_TIMEOUT_FACTOR}x its consumer's timeout (${minimum} s)`,
      );
    }
    const retentionPeriod = Duration.seconds(definition.retentionSeconds);

    const deadLetterQueue = new sqs.Queue(this, `${definition.logicalName}DeadLetterQueue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue; its messages are inspected and redriven by an operator.',
    });

    const queue = new sqs.Queue(this, `${definition.logicalName}Queue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: options.maxReceiveCount },
    });
    return { queue, deadLetterQueue };
  }
}

function assertRetrySchedule(schedule: readonly number[], retentionSeconds: number): void {
  if (schedule.length === 0) throw new Error('retrySchedule: at least one retry delay is required');
  for (const delay of schedule) {
    if (!Number.isInteger(delay) || delay < 1 || delay > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw new Error(
        `retrySchedule: ${delay} is not a whole number of seconds between 1 and ${MAX_VISIBILITY_TIMEOUT_SECONDS} (SQS's 12-hour visibility cap less 5 minutes)`,
      );
    }
  }
  const total = schedule.reduce((sum, delay) => sum + delay, 0);
  if (total >= retentionSeconds) {
    throw new Error(
      `retrySchedule: delays total ${total} s, more than the queue keeps a message (${retentionSeconds} s)`,
    );
  }
}
