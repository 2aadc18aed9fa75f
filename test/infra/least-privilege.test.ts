import type { Template } from 'aws-cdk-lib/assertions';
import { TABLES, type TableName } from '../../functions/resources.ts';
import { ROUTES } from '../../functions/routes.ts';
import {
  actionsOf,
  grantsByResource,
  outputTarget,
  projectFunctions,
  type Resource,
  referencedId,
  resource,
  resourcesOfType,
  statementsOf,
  synthesize,
} from './support.ts';

// The pins below are literal on purpose: a change to what a function may call must change this file.
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const EVENT_SOURCE = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];

let template: Template;
let labels: Record<string, string>;

beforeAll(() => {
  template = synthesize().template;
  labels = {
    [outputTarget(template, 'EventsQueueArn')]: 'queue events',
    [outputTarget(template, 'EventsDeadLetterQueueArn')]: 'queue events DLQ',
    [outputTarget(template, 'DeliveriesQueueArn')]: 'queue deliveries',
    [outputTarget(template, 'DeliveriesDeadLetterQueueArn')]: 'queue deliveries DLQ',
    [outputTarget(template, 'SecretKeyArn')]: 'secret key',
    ...Object.fromEntries(
      (Object.keys(TABLES) as TableName[]).map((name) => [
        outputTarget(template, `${TABLES[name].logicalName}TableName`),
        `table ${name}`,
      ]),
    ),
  };
});

/** The function consuming a queue (through its event source mapping), and the mapping. */
function consumer(queueOutput: string): { functionId: string; mapping: Resource & { DependsOn?: string[] } } {
  const queueId = outputTarget(template, queueOutput);
  const [mapping] = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).filter(
    (candidate) => referencedId(candidate.Properties.EventSourceArn) === queueId,
  );
  if (!mapping) throw new Error(`no mapping consumes ${queueOutput}`);
  return { functionId: referencedId(mapping.Properties.FunctionName), mapping };
}

function grantsOf(functionId: string): Record<string, string[]> {
  const logGroupId = referencedId(resource(template, functionId).Properties.LoggingConfig.LogGroup);
  return grantsByResource(template, functionId, { ...labels, [logGroupId]: 'own log group' });
}

describe('the pipeline functions may call exactly what their code calls', () => {
  test('fan-out', () => {
    expect(grantsOf(consumer('EventsQueueArn').functionId)).toEqual({
      '*': XRAY,
      'own log group': LOGS,
      'queue deliveries': ['sqs:SendMessage'],
      // Its event source, plus the code's own: hiding busy or failed events, recovery's next step.
      'queue events': [...EVENT_SOURCE, 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'].sort(),
      'queue events DLQ': ['sqs:SendMessage'],
      'table deliveries': ['dynamodb:PutItem', 'dynamodb:Query'],
      'table events': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'table webhooks': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    });
  });

  test('dispatcher', () => {
    expect(grantsOf(consumer('DeliveriesQueueArn').functionId)).toEqual({
      '*': XRAY,
      'own log group': LOGS,
      'queue deliveries': [...EVENT_SOURCE, 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'].sort(),
      'queue deliveries DLQ': ['sqs:SendMessage'],
      'queue events': ['sqs:SendMessage'],
      'secret key': ['secretsmanager:GetSecretValue'],
      'table deliveries': ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      'table events': ['dynamodb:GetItem'],
      'table rateLimits': ['dynamodb:UpdateItem'],
      'table webhooks': ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    });
  });

  test.each(['EventsQueueArn', 'DeliveriesQueueArn'])(
    'the mapping of %s is created only after its role may receive',
    (queue) => {
      const { functionId, mapping } = consumer(queue);
      const roleId = referencedId(resource(template, functionId).Properties.Role);
      const policies = Object.entries(resourcesOfType(template, 'AWS::IAM::Policy'))
        .filter(([, policy]) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
        .map(([id]) => id);
      expect(mapping.DependsOn).toEqual(expect.arrayContaining(policies));
    },
  );
});

describe('every function', () => {
  /** Every action a route function's code can call, whatever its route declares. */
  const API_ACTIONS = new Set([
    ...LOGS,
    ...XRAY,
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'sqs:SendMessage',
    'secretsmanager:GetSecretValue',
  ]);

  test('has no wildcard action, no Scan, and no action but logs and X-Ray on "*"', () => {
    for (const functionId of Object.keys(projectFunctions(template))) {
      for (const statement of statementsOf(template, functionId)) {
        for (const action of actionsOf(statement)) {
          expect(action).not.toMatch(/\*/);
          expect(action).not.toBe('dynamodb:Scan');
        }
        if (statement.Resource === '*') expect(actionsOf(statement).sort()).toEqual(XRAY);
      }
    }
  });

  test('an API function only calls DynamoDB, sends to a queue, reads the key, logs and traces', () => {
    const pipeline = new Set([
      consumer('EventsQueueArn').functionId,
      consumer('DeliveriesQueueArn').functionId,
    ]);
    const apiFunctions = Object.keys(projectFunctions(template)).filter((id) => !pipeline.has(id));
    expect(apiFunctions).toHaveLength(ROUTES.length + 1);
    for (const functionId of apiFunctions) {
      const grants = grantsOf(functionId);
      for (const actions of Object.values(grants)) {
        for (const action of actions) expect(API_ACTIONS).toContain(action);
      }
      // Reads and writes of one table never include what the whole API does not call on it.
      expect(grants['table deliveries'] ?? []).not.toContain('dynamodb:DeleteItem');
      expect(grants['table events'] ?? []).not.toContain('dynamodb:DeleteItem');
    }
  });
});
