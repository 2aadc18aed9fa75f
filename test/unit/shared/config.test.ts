import { DEFAULT_RETRY_SCHEDULE_SECONDS, ENV } from '../../../functions/resources.ts';
import { ConfigError, parseConfig } from '../../../functions/shared/config.ts';

const HEX_KEY = '0123456789abcdef'.repeat(4);

const TABLE_AND_QUEUE_ENV = {
  [ENV.webhooksTable]: 'Webhooks-1',
  [ENV.deliveriesTable]: 'Deliveries-1',
  [ENV.eventsTable]: 'Events-1',
  [ENV.apiKeysTable]: 'ApiKeys-1',
  [ENV.rateLimitsTable]: 'RateLimits-1',
  [ENV.eventsQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Events',
  [ENV.eventsDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventsDlq',
  [ENV.deliveriesQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Deliveries',
  [ENV.deliveriesDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/DeliveriesDlq',
};

const AWS_ENV = {
  ...TABLE_AND_QUEUE_ENV,
  [ENV.secretKeyArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:encrata-webhooks-key-AbCdEf',
};

const configErrorMessage = (env: NodeJS.ProcessEnv): string => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('parseConfig did not throw');
};

describe('parseConfig', () => {
  it('parses a full environment', () => {
    const config = parseConfig({
      ...TABLE_AND_QUEUE_ENV,
      [ENV.secretKey]: HEX_KEY,
      [ENV.retrySchedule]: '1,2,3',
      [ENV.allowPrivateTargets]: '1',
      [ENV.maxWebhooks]: '10',
      [ENV.rateLimitPerMinute]: '120',
      [ENV.workspaceRateLimitPerMinute]: '600',
      [ENV.keyCreationsPerHour]: '3',
      [ENV.dynamodbEndpoint]: 'http://127.0.0.1:4567',
      [ENV.sqsEndpoint]: 'http://127.0.0.1:4568',
      [ENV.extraCaFile]: '/tmp/ca.pem',
      [ENV.autoDisableAfterSeconds]: '60',
      [ENV.localStack]: '1',
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      tables: {
        webhooks: 'Webhooks-1',
        deliveries: 'Deliveries-1',
        events: 'Events-1',
        apiKeys: 'ApiKeys-1',
        rateLimits: 'RateLimits-1',
      },
      queues: {
        events: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Events',
        eventsDlq: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventsDlq',
        deliveries: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Deliveries',
        deliveriesDlq: 'https://sqs.eu-west-1.amazonaws.com/123456789012/DeliveriesDlq',
      },
      secretKey: { hex: HEX_KEY },
      retrySchedule: [1, 2, 3],
      allowPrivateTargets: true,
      maxWebhooksPerWorkspace: 10,
      rateLimitPerMinute: 120,
      workspaceRateLimitPerMinute: 600,
      keyCreationsPerHour: 3,
      endpoints: { dynamodb: 'http://127.0.0.1:4567', sqs: 'http://127.0.0.1:4568' },
      extraCaFile: '/tmp/ca.pem',
      autoDisableAfterSeconds: 60,
      localStack: true,
    });
  });

  it('defaults everything optional (the deployed Lambda environment)', () => {
    const config = parseConfig(AWS_ENV);
    expect(config.secretKey).toEqual({ arn: AWS_ENV[ENV.secretKeyArn] });
    expect(config.retrySchedule).toEqual([...DEFAULT_RETRY_SCHEDULE_SECONDS]);
    expect(config.allowPrivateTargets).toBe(false);
    expect(config.localStack).toBe(false);
    expect(config.maxWebhooksPerWorkspace).toBe(50);
    expect(config.rateLimitPerMinute).toBe(30);
    expect(config.workspaceRateLimitPerMinute).toBe(120);
    expect(config.keyCreationsPerHour).toBe(10);
    // The workspace ceiling follows a raised per-key limit unless set itself.
    expect(parseConfig({ ...AWS_ENV, [ENV.rateLimitPerMinute]: '1000' }).workspaceRateLimitPerMinute).toBe(
      4000,
    );
    expect(config.endpoints).toEqual({ dynamodb: undefined, sqs: undefined });
    expect(config.extraCaFile).toBeUndefined();
    expect(config.autoDisableAfterSeconds).toBe(5 * 24 * 3600);
  });

  it('uses the default schedule for an empty ENCRATA_RETRY_SCHEDULE', () => {
    expect(parseConfig({ ...AWS_ENV, [ENV.retrySchedule]: '' }).retrySchedule).toEqual([
      ...DEFAULT_RETRY_SCHEDULE_SECONDS,
    ]);
    expect(parseConfig({ ...AWS_ENV, [ENV.retrySchedule]: '  ' }).retrySchedule).toEqual([
      ...DEFAULT_RETRY_SCHEDULE_SECONDS,
    ]);
  });

  it.each(Object.keys(TABLE_AND_QUEUE_ENV))('fails naming %s when it is missing or empty', (name) => {
    const { [name]: _removed, ...without } = AWS_ENV as Record<string, string>;
    expect(configErrorMessage(without)).toContain(`${name} is not set`);
    expect(configErrorMessage({ ...AWS_ENV, [name]: '' })).toContain(`${name} is empty`);
  });

  it('names every missing variable at once', () => {
    const message = configErrorMessage({ [ENV.secretKey]: HEX_KEY });
    for (const name of Object.keys(TABLE_AND_QUEUE_ENV)) expect(message).toContain(name);
  });

  it.each(['abc', '5,,10', '0', '43201', '1.5'])('fails naming ENCRATA_RETRY_SCHEDULE for %j', (schedule) => {
    expect(configErrorMessage({ ...AWS_ENV, [ENV.retrySchedule]: schedule })).toContain(
      'ENCRATA_RETRY_SCHEDULE',
    );
  });

  it('fails when neither the secret key ARN nor the hex key is set', () => {
    expect(configErrorMessage(TABLE_AND_QUEUE_ENV)).toContain(
      'one of ENCRATA_SECRET_KEY_ARN (AWS) or ENCRATA_SECRET_KEY (local stack) must be set',
    );
  });

  it.each(['', 'ABCDEF'.repeat(10), 'xyz', `${HEX_KEY}0`, HEX_KEY.toUpperCase()])(
    'fails naming ENCRATA_SECRET_KEY when it is %j',
    (key) => {
      expect(configErrorMessage({ ...TABLE_AND_QUEUE_ENV, [ENV.secretKey]: key })).toContain(
        'ENCRATA_SECRET_KEY',
      );
    },
  );

  it.each([
    [ENV.allowPrivateTargets, 'yes'],
    [ENV.allowPrivateTargets, 'true'],
    [ENV.maxWebhooks, '0'],
    [ENV.maxWebhooks, 'ten'],
    [ENV.maxWebhooks, '-5'],
    [ENV.rateLimitPerMinute, '1.5'],
  ])('fails naming %s when it is %j', (name, value) => {
    expect(configErrorMessage({ ...AWS_ENV, [name]: value })).toContain(name);
  });

  it('reads ENCRATA_ALLOW_PRIVATE_TARGETS 0, 1 and empty', () => {
    expect(parseConfig({ ...AWS_ENV, [ENV.allowPrivateTargets]: '0' }).allowPrivateTargets).toBe(false);
    expect(parseConfig({ ...AWS_ENV, [ENV.allowPrivateTargets]: '' }).allowPrivateTargets).toBe(false);
    expect(parseConfig({ ...AWS_ENV, [ENV.allowPrivateTargets]: '1' }).allowPrivateTargets).toBe(true);
  });
});
