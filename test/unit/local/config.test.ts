import { resolve } from 'node:path';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../../../functions/resources.ts';
import { LocalConfigError, parseLocalConfig, resolveDataDir } from '../../../local/config.ts';
import { currentQueueUrl } from '../../../local/queue-url.ts';

const KEY = `enc_live_${'Ab3'.repeat(10)}xy`;

/** One line, ending in a full stop, with no other sentence end in it. */
const isOneSentence = (text: string) =>
  !text.includes('\n') && text.endsWith('.') && (text.match(/[.!?](\s|$)/g) ?? []).length === 1;

const errorMessage = (env: NodeJS.ProcessEnv): string => {
  try {
    parseLocalConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(LocalConfigError);
    return (error as Error).message;
  }
  throw new Error('parseLocalConfig did not throw');
};

describe('parseLocalConfig', () => {
  it('defaults: port 3000 on 127.0.0.1, data in .local, production schedule, private targets off', () => {
    expect(parseLocalConfig({})).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: resolve(process.cwd(), '.local'),
      devApiKey: undefined,
      retrySchedule: [...DEFAULT_RETRY_SCHEDULE_SECONDS],
      allowPrivateTargets: false,
      logLevel: 'INFO',
      autoDisableAfterSeconds: 5 * 24 * 3600,
    });
  });

  it('reads the automatic-disable window in seconds, and refuses anything else', () => {
    expect(parseLocalConfig({ ENCRATA_AUTO_DISABLE_AFTER_SECONDS: '30' }).autoDisableAfterSeconds).toBe(30);
    for (const bad of ['0', '-1', '1.5', '5d']) {
      expect(errorMessage({ ENCRATA_AUTO_DISABLE_AFTER_SECONDS: bad })).toMatch(
        /ENCRATA_AUTO_DISABLE_AFTER_SECONDS/,
      );
    }
  });

  it('treats empty variables as unset', () => {
    expect(
      parseLocalConfig({
        PORT: '',
        ENCRATA_DEV_API_KEY: '',
        ENCRATA_RETRY_SCHEDULE: '',
        ENCRATA_ALLOW_PRIVATE_TARGETS: '',
      }),
    ).toMatchObject({
      port: 3000,
      devApiKey: undefined,
      retrySchedule: [...DEFAULT_RETRY_SCHEDULE_SECONDS],
      allowPrivateTargets: false,
    });
  });

  it('reads every variable', () => {
    expect(
      parseLocalConfig({
        PORT: '8080',
        ENCRATA_HOST: '0.0.0.0',
        ENCRATA_DATA_DIR: 'tmp/data',
        ENCRATA_DEV_API_KEY: KEY,
        ENCRATA_RETRY_SCHEDULE: '1, 2,3',
        ENCRATA_ALLOW_PRIVATE_TARGETS: '1',
        ENCRATA_LOG_LEVEL: 'debug',
        ENCRATA_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      }),
    ).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: resolve(process.cwd(), 'tmp/data'),
      devApiKey: KEY,
      retrySchedule: [1, 2, 3],
      allowPrivateTargets: true,
      logLevel: 'DEBUG',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
    });
    expect(parseLocalConfig({}).dynamodbEndpoint).toBeUndefined();
    expect(parseLocalConfig({ ENCRATA_DYNAMODB_ENDPOINT: '' }).dynamodbEndpoint).toBeUndefined();
    expect(parseLocalConfig({ ENCRATA_DATA_DIR: '/var/tmp/encrata' }).dataDir).toBe('/var/tmp/encrata');
    expect(parseLocalConfig({ ENCRATA_ALLOW_PRIVATE_TARGETS: '0' }).allowPrivateTargets).toBe(false);
    expect(parseLocalConfig({ PORT: '0' }).port).toBe(0);
    expect(parseLocalConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '3000.5'],
    ['PORT', ' 3000'],
    ['ENCRATA_DEV_API_KEY', 'enc_live_short'],
    ['ENCRATA_DEV_API_KEY', `enc_test_${'a'.repeat(32)}`],
    ['ENCRATA_DEV_API_KEY', `enc_live_${'a'.repeat(31)}!`],
    ['ENCRATA_ALLOW_PRIVATE_TARGETS', 'yes'],
    ['ENCRATA_ALLOW_PRIVATE_TARGETS', 'true'],
    ['ENCRATA_ALLOW_PRIVATE_TARGETS', '2'],
    ['ENCRATA_RETRY_SCHEDULE', 'abc'],
    ['ENCRATA_RETRY_SCHEDULE', '5,,10'],
    ['ENCRATA_RETRY_SCHEDULE', '1.5'],
    ['ENCRATA_RETRY_SCHEDULE', '0'],
    ['ENCRATA_RETRY_SCHEDULE', '43201'],
    ['ENCRATA_DATA_DIR', ''],
    ['ENCRATA_HOST', 'example.com'],
    ['ENCRATA_LOG_LEVEL', 'verbose'],
    ['ENCRATA_DYNAMODB_ENDPOINT', 'localhost:8000'],
    ['ENCRATA_DYNAMODB_ENDPOINT', 'ftp://127.0.0.1:8000'],
  ])('%s=%j throws a LocalConfigError of one sentence naming the variable', (name, value) => {
    const message = errorMessage({ [name]: value });
    expect(message).toContain(name);
    expect(message.startsWith(name)).toBe(true);
    expect(isOneSentence(message)).toBe(true);
  });

  it('shows the offending value', () => {
    expect(errorMessage({ PORT: 'abc' })).toBe(
      'PORT must be a whole number between 0 and 65535 (got "abc").',
    );
    expect(errorMessage({ ENCRATA_ALLOW_PRIVATE_TARGETS: 'yes' })).toBe(
      'ENCRATA_ALLOW_PRIVATE_TARGETS must be 1 or 0 (got "yes").',
    );
  });

  it('names one bad variable when several are bad: the first in the README’s order, whatever the environment’s', () => {
    for (const env of [
      { PORT: 'x', ENCRATA_ALLOW_PRIVATE_TARGETS: 'maybe' },
      { ENCRATA_ALLOW_PRIVATE_TARGETS: 'maybe', PORT: 'x' },
    ]) {
      const message = errorMessage(env);
      expect(isOneSentence(message)).toBe(true);
      expect(message).toMatch(/^PORT/);
      expect(message).not.toContain('ENCRATA_ALLOW_PRIVATE_TARGETS');
    }
    expect(errorMessage({ ENCRATA_ALLOW_PRIVATE_TARGETS: 'maybe', ENCRATA_LOG_LEVEL: 'loud' })).toMatch(
      /^ENCRATA_ALLOW_PRIVATE_TARGETS/,
    );
  });
});

describe('resolveDataDir (npm start and every script find the stack the same way)', () => {
  it('is ENCRATA_DATA_DIR made absolute, .local by default', () => {
    expect(resolveDataDir({})).toBe(resolve(process.cwd(), '.local'));
    expect(resolveDataDir({ ENCRATA_DATA_DIR: '' })).toBe(resolve(process.cwd(), '.local'));
    expect(resolveDataDir({ ENCRATA_DATA_DIR: 'tmp/a' })).toBe(resolve(process.cwd(), 'tmp/a'));
    expect(resolveDataDir({ ENCRATA_DATA_DIR: '/srv/encrata' })).toBe('/srv/encrata');
    expect(resolveDataDir({ ENCRATA_DATA_DIR: 'tmp/a' })).toBe(
      parseLocalConfig({ ENCRATA_DATA_DIR: 'tmp/a' }).dataDir,
    );
  });
});

describe('currentQueueUrl', () => {
  it('puts the port fauxqs listens on now into the URL it persisted on a first run', () => {
    expect(
      currentQueueUrl(
        'http://sqs.us-east-1.localhost:45083/000000000000/encrata-events',
        'http://127.0.0.1:39489',
      ),
    ).toBe('http://sqs.us-east-1.localhost:39489/000000000000/encrata-events');
  });
});

describe('ENCRATA_FAULTS', () => {
  it('is off unless set, and reads shares, the lost-answer share and a seed', () => {
    expect(parseLocalConfig({}).faults).toBeUndefined();
    expect(parseLocalConfig({ ENCRATA_FAULTS: '' }).faults).toBeUndefined();
    expect(parseLocalConfig({ ENCRATA_FAULTS: 'dynamodb:0.2,sqs:0.2' }).faults).toEqual({
      dynamodb: 0.2,
      sqs: 0.2,
      lost: 0,
      seed: undefined,
    });
    expect(parseLocalConfig({ ENCRATA_FAULTS: 'sqs:1,lost:0.5,seed:7' }).faults).toEqual({
      dynamodb: 0,
      sqs: 1,
      lost: 0.5,
      seed: 7,
    });
  });

  it.each([
    ['dynamo:0.2', 'ENCRATA_FAULTS must look like dynamodb:0.2,sqs:0.2[,lost:0.5][,seed:7]'],
    ['dynamodb:0.2,', 'ENCRATA_FAULTS must look like dynamodb:0.2,sqs:0.2[,lost:0.5][,seed:7]'],
    ['sqs', 'ENCRATA_FAULTS must look like dynamodb:0.2,sqs:0.2[,lost:0.5][,seed:7]'],
    ['dynamodb:1.5', 'ENCRATA_FAULTS: each share must be a number from 0 to 1'],
    ['sqs:0.1.2', 'ENCRATA_FAULTS: each share must be a number from 0 to 1'],
    ['seed:1.5', 'ENCRATA_FAULTS: seed must be a whole number'],
  ])('refuses %j in one sentence', (value, message) => {
    const text = errorMessage({ ENCRATA_FAULTS: value });
    expect(text).toBe(`${message} (got ${JSON.stringify(value)}).`);
  });
});
