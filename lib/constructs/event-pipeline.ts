import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  deliveryMaxReceiveCount,
  ENV,
  EVENT_SOURCE_BATCH_SIZE,
  EVENT_SOURCE_MAX_CONCURRENCY,
  FUNCTION_MEMORY_MB,
  FUNCTION_TIMEOUTS,
  MAX_RETRY_DELAY_SECONDS,
  QUEUES,
  type QueueDefinition,
  type TableName,
  VISIBILITY_TIMEOUT_FACTOR,
} from '../../functions/resources.ts';
import type { DynamoAction } from '../../functions/routes/route.ts';
import { NodeFunction } from './node-function.ts';
import type { SecretKey } from './secret-key.ts';
import type { Tables } from './tables.ts';

/** The dispatcher's ceiling for one retry delay: SQS's 12-hour visibility cap, less a margin. */
const MAX_VISIBILITY_TIMEOUT_SECONDS = MAX_RETRY_DELAY_SECONDS;

/** The queues of the pipeline, by the name the access declarations use. */
export type PipelineQueue = 'events' | 'eventsDlq' | 'deliveries' | 'deliveriesDlq';

/** The SQS actions the pipeline's code calls (SendMessageBatch and ChangeMessageVisibilityBatch included). */
export type SqsAction = 'sqs:SendMessage' | 'sqs:ChangeMessageVisibility';

/** What a pipeline function's code calls: its role grants exactly this, plus its event source's needs. */
export interface PipelineAccess {
  /** Actions per table (none of these tables has an index the pipeline reads). */
  readonly tables: Partial<Record<TableName, readonly DynamoAction[]>>;
  /** Actions per queue. */
  readonly queues: Partial<Record<PipelineQueue, readonly SqsAction[]>>;
  /** Whether it decrypts webhook secrets (reads the secret-encryption key). */
  readonly secretKey: boolean;
}

/**
 * What the event source mapping itself calls with the function's role (AWS's
 * AWSLambdaSQSQueueExecutionRole): receive, delete, and read the queue's attributes.
 */
export const EVENT_SOURCE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
] as const;

/**
 * The calls of functions/fanout and functions/dispatcher (their core and adapters), one list per
 * function; keep them in step with the code, as route declarations are (functions/routes/).
 */
export const PIPELINE_ACCESS = {
  fanout: {
    tables: {
      // The workspace's subscribers (list query, get), and the state webhook recovery keeps.
      webhooks: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      // Claims (conditional put, lease take-over), event items, recovery's reads by time.
      events: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      // Delivery logs read (has it succeeded?) and `queued` rows written (resend, recovery).
      deliveries: ['dynamodb:Query', 'dynamodb:PutItem'],
    },
    queues: {
      deliveries: ['sqs:SendMessage'],
      // Background recovery queues its next step; a busy or failed event is hidden until due.
      events: ['sqs:SendMessage', 'sqs:ChangeMessageVisibility'],
      // Invalid events go to the DLQ explicitly, with their reason.
      eventsDlq: ['sqs:SendMessage'],
    },
    secretKey: false,
  },
  dispatcher: {
    tables: {
      // A retry reads the webhook; auto-disabling updates it.
      webhooks: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      // The delivery's newest row; conditional rows; first-attempt successes batched.
      deliveries: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      // Large event bodies.
      events: ['dynamodb:GetItem'],
      // Per-webhook delivery rate limits.
      rateLimits: ['dynamodb:UpdateItem'],
    },
    queues: {
      // Retries: the message hidden until its next attempt is due; a delivery waiting out a rate limit
      // near the end of its receives waits as a fresh copy.
      deliveries: ['sqs:ChangeMessageVisibility', 'sqs:SendMessage'],
      // A delivery that gave up is moved to the DLQ explicitly, where it can be redriven.
      deliveriesDlq: ['sqs:SendMessage'],
      // `webhook.disabled`, published when a failing webhook is disabled.
      events: ['sqs:SendMessage'],
    },
    secretKey: true,
  },
} as const satisfies Record<'fanout' | 'dispatcher', PipelineAccess>;

/** How a queue consumer is sized. */
export interface ConsumerSizing {
  /** Memory in MiB; CPU scales with it. @default FUNCTION_MEMORY_MB of the function */
  readonly memorySize?: number;
  /**
   * Most batches the event source mapping runs at once (MaximumConcurrency, 2–1000). The mapping stops
   * receiving at this ceiling, so messages wait in the queue instead of being throttled.
   * @default EVENT_SOURCE_MAX_CONCURRENCY of the function
   */
  readonly maxConcurrency?: number;
  /**
   * Concurrency reserved for the function: guarantees it capacity the API and other workloads cannot
   * take, at the price of taking it from them. Must be at least `maxConcurrency`, or the mapping's
   * invocations are throttled and every throttled receive counts toward the queue's maxReceiveCount.
   * @default - none (the account's unreserved pool; `maxConcurrency` alone bounds the function)
   */
  readonly reservedConcurrency?: number;
}

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
  /** Memory and concurrency of the fan-out function. @default - the defaults of ConsumerSizing */
  readonly fanout?: ConsumerSizing;
  /** Memory and concurrency of the dispatcher. @default - the defaults of ConsumerSizing */
  readonly dispatcher?: ConsumerSizing;
  /**
   * What happens to the queues (with the messages waiting in them: pending retries, dead letters) and
   * the functions' log groups when they leave the stack. Use DESTROY only for throw-away stages.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** The Powertools service name of the functions. @default NodeFunction's default */
  readonly serviceName?: string;
  /** How long the functions' logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The asynchronous half of the system: producers publish to the events queue, the fan-out function
 * turns each event into one delivery message per subscribed webhook, and the dispatcher delivers
 * them, retrying by stretching the message's visibility timeout. Each queue has a dead-letter queue;
 * each consumer runs at most `maxConcurrency` batches at once and may call exactly what
 * `PIPELINE_ACCESS` lists.
 */
export class EventPipeline extends Construct {
  readonly eventsQueue: sqs.Queue;
  readonly eventsDeadLetterQueue: sqs.Queue;
  readonly deliveriesQueue: sqs.Queue;
  readonly deliveriesDeadLetterQueue: sqs.Queue;
  readonly fanout: NodeFunction;
  readonly dispatcher: NodeFunction;
  /** The MaximumConcurrency of each consumer's event source mapping. */
  readonly maxConcurrency: { readonly fanout: number; readonly dispatcher: number };
  /** The retry schedule in use, in seconds. */
  readonly retrySchedule: readonly number[];
  /** The shared environment plus this pipeline's queue URLs and retry schedule: give it to every function. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const retrySchedule = props.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_SECONDS;
    assertRetrySchedule(retrySchedule, QUEUES.deliveries.retentionSeconds);
    this.retrySchedule = retrySchedule;
    const fanoutTimeout = props.fanoutTimeout ?? Duration.seconds(FUNCTION_TIMEOUTS.fanout);
    const dispatcherTimeout = props.dispatcherTimeout ?? Duration.seconds(FUNCTION_TIMEOUTS.dispatcher);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.maxConcurrency = {
      fanout: assertSizing('fanout', props.fanout, EVENT_SOURCE_MAX_CONCURRENCY.fanout),
      dispatcher: assertSizing('dispatcher', props.dispatcher, EVENT_SOURCE_MAX_CONCURRENCY.dispatcher),
    };

    const events = this.createQueue(QUEUES.events, {
      consumerTimeout: fanoutTimeout,
      visibilityTimeout: props.eventsVisibilityTimeout,
      maxReceiveCount: QUEUES.events.maxReceiveCount,
      removalPolicy,
    });
    this.eventsQueue = events.queue;
    this.eventsDeadLetterQueue = events.deadLetterQueue;

    const deliveries = this.createQueue(QUEUES.deliveries, {
      consumerTimeout: dispatcherTimeout,
      visibilityTimeout: props.deliveriesVisibilityTimeout,
      // Sized from the schedule in use, so SQS never dead-letters a delivery that still has attempts left.
      maxReceiveCount: deliveryMaxReceiveCount(retrySchedule.length),
      removalPolicy,
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
    const queues: Record<PipelineQueue, sqs.IQueue> = {
      events: this.eventsQueue,
      eventsDlq: this.eventsDeadLetterQueue,
      deliveries: this.deliveriesQueue,
      deliveriesDlq: this.deliveriesDeadLetterQueue,
    };
    const common = {
      environment: this.environment,
      logRetention: props.logRetention,
      removalPolicy,
      serviceName: props.serviceName,
    };

    this.fanout = new NodeFunction(this, 'Fanout', {
      ...common,
      entry: 'functions/fanout/handler.ts',
      description: 'Fans each published event out to one delivery per subscribed webhook',
      timeout: fanoutTimeout,
      memorySize: props.fanout?.memorySize ?? FUNCTION_MEMORY_MB.fanout,
      reservedConcurrency: props.fanout?.reservedConcurrency,
    });
    this.grantAccess(this.fanout, PIPELINE_ACCESS.fanout, queues, props);
    this.consume(this.eventsQueue, this.fanout, {
      maxConcurrency: this.maxConcurrency.fanout,
      // Publishers often emit bursts; a short window fills batches without noticeable latency.
      maxBatchingWindow: Duration.seconds(1),
    });

    this.dispatcher = new NodeFunction(this, 'Dispatcher', {
      ...common,
      entry: 'functions/dispatcher/handler.ts',
      description: 'Delivers signed webhook requests and schedules retries',
      timeout: dispatcherTimeout,
      memorySize: props.dispatcher?.memorySize ?? FUNCTION_MEMORY_MB.dispatcher,
      reservedConcurrency: props.dispatcher?.reservedConcurrency,
    });
    this.grantAccess(this.dispatcher, PIPELINE_ACCESS.dispatcher, queues, props);
    this.consume(this.deliveriesQueue, this.dispatcher, { maxConcurrency: this.maxConcurrency.dispatcher });
  }

  /** Lets `grantee` publish events (`sqs:SendMessage` on the events queue); for producers in any stack. */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.eventsQueue.grant(grantee, 'sqs:SendMessage');
  }

  /** Exactly the actions `access` lists, on the tables, queues and secret it names. */
  private grantAccess(
    fn: NodeFunction,
    access: PipelineAccess,
    queues: Record<PipelineQueue, sqs.IQueue>,
    props: EventPipelineProps,
  ): void {
    for (const [name, actions] of Object.entries(access.tables) as [TableName, readonly DynamoAction[]][]) {
      props.tables.grantActions(name, fn, actions);
    }
    for (const [name, actions] of Object.entries(access.queues) as [PipelineQueue, readonly SqsAction[]][]) {
      queues[name].grant(fn, ...actions);
    }
    if (access.secretKey) props.secretKey.grantRead(fn);
  }

  /**
   * The SQS event source mapping: batches of EVENT_SOURCE_BATCH_SIZE, partial batch failures reported,
   * at most `maxConcurrency` batches at once. Made directly (not with SqsEventSource, whose consume grant
   * adds GetQueueUrl and ChangeMessageVisibility whatever the code calls) with exactly what the mapping
   * needs, and created only once its role may receive.
   */
  private consume(
    queue: sqs.IQueue,
    fn: NodeFunction,
    options: { maxConcurrency: number; maxBatchingWindow?: Duration },
  ): void {
    const grant = queue.grant(fn, ...EVENT_SOURCE_ACTIONS);
    const mapping = fn.function.addEventSourceMapping('EventSource', {
      eventSourceArn: queue.queueArn,
      batchSize: EVENT_SOURCE_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: options.maxConcurrency,
      maxBatchingWindow: options.maxBatchingWindow,
    });
    grant.applyBefore(mapping);
  }

  private createQueue(
    definition: QueueDefinition,
    options: {
      consumerTimeout: Duration;
      visibilityTimeout?: Duration;
      maxReceiveCount: number;
      removalPolicy: RemovalPolicy;
    },
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

    // Retained like the tables: the queues hold pending retries and dead letters that exist nowhere else.
    const deadLetterQueue = new sqs.Queue(this, `${definition.logicalName}DeadLetterQueue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      removalPolicy: options.removalPolicy,
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
      removalPolicy: options.removalPolicy,
    });
    return { queue, deadLetterQueue };
  }
}

/** The consumer's MaximumConcurrency, once its sizing is known to be coherent. */
function assertSizing(name: string, sizing: ConsumerSizing | undefined, fallback: number): number {
  const maxConcurrency = sizing?.maxConcurrency ?? fallback;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
    throw new Error(`${name}: maxConcurrency ${maxConcurrency} is not a whole number from 2 to 1000`);
  }
  const reserved = sizing?.reservedConcurrency;
  if (reserved !== undefined && reserved < maxConcurrency) {
    throw new Error(
      `${name}: reservedConcurrency ${reserved} is below maxConcurrency ${maxConcurrency}; the mapping's ` +
        'invocations would be throttled, and throttled receives count toward maxReceiveCount',
    );
  }
  return maxConcurrency;
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
