import type { Template } from 'aws-cdk-lib/assertions';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  deliveryMaxReceiveCount,
  ENV,
  FUNCTION_MEMORY_MB,
  TABLES,
  type TableName,
} from '../../functions/resources.ts';
import { API_PREFIXES, FALLBACK_HANDLER, fullPath, ROUTES, type RouteSpec } from '../../functions/routes.ts';
import {
  actionsOf,
  outputTarget,
  projectFunctions,
  type Resource,
  referencedId,
  referencedIds,
  resource,
  resourcesOfType,
  statementsOf,
  synthesize,
} from './support.ts';

const FOURTEEN_DAYS_SECONDS = 1_209_600;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

let template: Template;
let functions: Record<string, Resource>;
/** Logical id of each table, found through the stack's `<Name>TableName` outputs. */
let tableIds: Record<TableName, string>;

beforeAll(() => {
  template = synthesize().template;
  functions = projectFunctions(template);
  tableIds = Object.fromEntries(
    TABLE_NAMES.map((name) => [name, outputTarget(template, `${TABLES[name].logicalName}TableName`)]),
  ) as Record<TableName, string>;
});

function functionIdByDescription(description: string): string {
  const matches = Object.entries(functions).filter(([, fn]) => fn.Properties.Description === description);
  if (matches.length !== 1)
    throw new Error(`expected one function described "${description}", got ${matches.length}`);
  return (matches[0] as [string, Resource])[0];
}

/** The function consuming a queue, through its event source mapping. */
function consumerOf(queueId: string): { mapping: Resource; functionId: string } {
  const mappings = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).filter(
    (mapping) => referencedId(mapping.Properties.EventSourceArn) === queueId,
  );
  expect(mappings).toHaveLength(1);
  const mapping = mappings[0] as Resource;
  return { mapping, functionId: referencedId(mapping.Properties.FunctionName) };
}

function environmentOf(functionId: string): Record<string, unknown> {
  return resource(template, functionId).Properties.Environment.Variables;
}

/** The deliveries queue has no output of its own: found through the environment the functions get. */
function deliveriesQueueId(): string {
  return referencedId(environmentOf(Object.keys(functions)[0] as string)[ENV.deliveriesQueueUrl]);
}

/** The description NodeFunction gets for a route's function (management-api.ts). */
const describedAs = (route: RouteSpec) => `${route.method} ${route.path} (under ${API_PREFIXES.join(', ')})`;
const routeKeys = (route: RouteSpec) =>
  API_PREFIXES.map((prefix) => `${route.method} ${fullPath(prefix, route)}`);

describe('management API', () => {
  test('has one route per declaration and prefix plus $default, none with an API Gateway authorizer', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
    const keys = routes.map((route) => route.Properties.RouteKey).sort();
    expect(keys).toEqual([...ROUTES.flatMap(routeKeys), '$default'].sort());
    expect(keys).toContain('GET /api/cli/webhooks');
    expect(keys).toContain('PATCH /api/agent/keys');
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('NONE');
  });

  test('routes each key to the function made for that route, and $default to the fallback', () => {
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
    const targetFunction = (routeKey: string): string => {
      const route = routes.find((candidate) => candidate.Properties.RouteKey === routeKey) as Resource;
      const [integrationId] = [...referencedIds(route.Properties.Target)];
      const integration = integrations[integrationId as string] as Resource;
      return referencedId(integration.Properties.IntegrationUri);
    };
    for (const route of ROUTES) {
      // Every prefix's route goes to the one function of the declaration.
      for (const key of routeKeys(route)) {
        expect(targetFunction(key)).toBe(functionIdByDescription(describedAs(route)));
        expect(targetFunction(key)).toMatch(new RegExp(`^Api${route.name.replaceAll('-', '')}Handler`, 'i'));
      }
    }
    expect(targetFunction('$default')).toMatch(new RegExp(`^Api${FALLBACK_HANDLER}Handler`, 'i'));
  });

  test('the $default stage is throttled and access-logged as JSON without request headers', () => {
    const stages = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const stage = (stages[0] as Resource).Properties;
    expect(stage.StageName).toBe('$default');
    expect(stage.AutoDeploy).toBe(true);
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 });

    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
    expect(stage.AccessLogSettings.Format).not.toMatch(/header|authorization/i);
    const logGroup = resource(template, referencedId(stage.AccessLogSettings.DestinationArn));
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(30);
  });

  test('the public routes and $default have their own, lower throttle, so unauthenticated floods cannot use up the stage', () => {
    const [stageId, stage] = Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'))[0] as [
      string,
      Resource & { DependsOn?: string[] },
    ];
    const publicKeys = ROUTES.filter((route) => route.auth === 'none').flatMap(routeKeys);
    expect(publicKeys).toContain('GET /api/health');
    const settings = { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 };
    expect(stage.Properties.RouteSettings).toEqual(
      Object.fromEntries(['$default', ...publicKeys].map((key) => [key, settings])),
    );
    // CloudFormation must have made those routes before the stage names them.
    const routeIds = Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'))
      .filter(([, route]) => ['$default', ...publicKeys].includes(route.Properties.RouteKey))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(publicKeys.length + 1);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
    expect(stageId).toBeDefined();
  });

  test("keeps its execute-api endpoint: it is CloudFront's origin and the ApiUrl clients use", () => {
    const [api] = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Api'));
    expect(api?.Properties.DisableExecuteApiEndpoint).toBeUndefined();
    expect(api?.Properties.Name).toBe('Test-api');
  });

  test('the fallback may authenticate (to rate-limit wrong methods) and nothing else', () => {
    const statements = statementsOf(
      template,
      functionIdByDescription('Answers unknown paths (404) and wrong methods (405)'),
    );
    const actionsOn = (name: TableName) =>
      statements
        .filter((statement) => referencedIds(statement.Resource).has(tableIds[name]))
        .flatMap((statement) => actionsOf(statement))
        .sort();
    expect(actionsOn('apiKeys')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actionsOn('rateLimits')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const name of ['webhooks', 'deliveries', 'events'] as const) expect(actionsOn(name)).toEqual([]);
    expect(statements.some((statement) => actionsOf(statement).includes('sqs:SendMessage'))).toBe(false);
    expect(
      statements.some((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue')),
    ).toBe(false);
  });

  test.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s gets exactly the actions its route declares, on the tables, indexes, queues and secret it names',
    (_key, route) => {
      const statements = statementsOf(template, functionIdByDescription(describedAs(route)));
      const granted = new Map<string, Set<string>>();
      for (const statement of statements) {
        for (const action of actionsOf(statement)) {
          if (!action.startsWith('dynamodb:')) continue;
          for (const [name, id] of Object.entries(tableIds)) {
            const resources = JSON.stringify(statement.Resource);
            if (!resources.includes(`"${id}"`)) continue;
            const kind = resources.includes('/index/') ? `${name}/index` : name;
            granted.set(kind, new Set([...(granted.get(kind) ?? []), action]));
          }
        }
      }
      const expected = new Map<string, Set<string>>();
      const add = (kind: string, actions: readonly string[]) =>
        expected.set(kind, new Set([...(expected.get(kind) ?? []), ...actions]));
      for (const [name, actions] of Object.entries(route.access.tables ?? {})) add(name, actions);
      for (const [name, actions] of Object.entries(route.access.indexes ?? {})) add(`${name}/index`, actions);
      if (route.auth === 'key') add('apiKeys', ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
      if (route.auth === 'key' && route.rateLimited)
        add('rateLimits', ['dynamodb:UpdateItem', 'dynamodb:GetItem']);
      const sorted = (map: Map<string, Set<string>>) =>
        Object.fromEntries([...map].map(([k, v]) => [k, [...v].sort()]).sort());
      expect(sorted(granted)).toEqual(sorted(expected));
      // No Scan, and no writes where the route only reads.
      for (const statement of statements) expect(actionsOf(statement)).not.toContain('dynamodb:Scan');

      const sendsTo = statements
        .filter((statement) => actionsOf(statement).includes('sqs:SendMessage'))
        .flatMap((statement) => [...referencedIds(statement.Resource)]);
      const expectedQueues = (route.access.sends ?? []).map((queue) =>
        queue === 'events' ? outputTarget(template, 'EventsQueueArn') : deliveriesQueueId(),
      );
      expect(sendsTo).toEqual(expectedQueues);

      const readsSecret = statements.some((statement) =>
        actionsOf(statement).includes('secretsmanager:GetSecretValue'),
      );
      expect(readsSecret).toBe(route.access.secretKey === true);
    },
  );
});

describe('functions', () => {
  test('one per route, the fallback, the fan-out and the dispatcher', () => {
    expect(Object.keys(functions)).toHaveLength(ROUTES.length + 3);
  });

  test('all run Node.js 24 on arm64 with JSON logs into a retained log group with retention, and tracing', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig.LogFormat).toBe('JSON');
      const logGroup = resource(template, referencedId(fn.Properties.LoggingConfig.LogGroup));
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.DeletionPolicy).toBe('Retain');
    }
  });

  test('memory follows FUNCTION_MEMORY_MB: the dispatcher 1024 MiB, the fan-out and the API 512', () => {
    for (const [id, fn] of Object.entries(functions)) {
      const expected = id.startsWith('PipelineDispatcher')
        ? FUNCTION_MEMORY_MB.dispatcher
        : id.startsWith('PipelineFanout')
          ? FUNCTION_MEMORY_MB.fanout
          : FUNCTION_MEMORY_MB.api;
      expect({ id, memory: fn.Properties.MemorySize }).toEqual({ id, memory: expected });
    }
    expect(FUNCTION_MEMORY_MB).toEqual({ api: 512, fanout: 512, dispatcher: 1024 });
  });

  test('all get the full configuration as generated resource names, never literals', () => {
    const queueIds = new Set(Object.keys(resourcesOfType(template, 'AWS::SQS::Queue')));
    for (const fn of Object.values(functions)) {
      const env = fn.Properties.Environment.Variables;
      for (const name of TABLE_NAMES) {
        const variable = ENV[`${name}Table`];
        expect({ variable, value: env[variable] }).toEqual({ variable, value: { Ref: tableIds[name] } });
      }
      for (const variable of [
        ENV.eventsQueueUrl,
        ENV.eventsDlqUrl,
        ENV.deliveriesQueueUrl,
        ENV.deliveriesDlqUrl,
      ]) {
        expect(queueIds.has(referencedId(env[variable]))).toBe(true);
      }
      expect(env[ENV.secretKeyArn]).toEqual({ Ref: outputTarget(template, 'SecretKeyArn') });
      expect(env[ENV.retrySchedule]).toBe(DEFAULT_RETRY_SCHEDULE_SECONDS.join(','));
      expect(env[ENV.maxWebhooks]).toBe('50');
      expect(env[ENV.rateLimitPerMinute]).toBe('30');
      expect(env[ENV.autoDisableAfterSeconds]).toBe(String(5 * 24 * 3600));
      expect(env.POWERTOOLS_SERVICE_NAME).toBe('encrata-webhooks');
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Encrata/Webhooks');
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  test('none may reach private targets, hold the key itself or point at a local emulator', () => {
    for (const fn of Object.values(functions)) {
      const env = fn.Properties.Environment.Variables;
      expect(env).not.toHaveProperty(ENV.allowPrivateTargets);
      expect(env).not.toHaveProperty(ENV.secretKey);
      expect(env).not.toHaveProperty(ENV.dynamodbEndpoint);
      expect(env).not.toHaveProperty(ENV.sqsEndpoint);
    }
  });
});

describe('tables', () => {
  test('one per definition: on demand, point-in-time recovery, encrypted, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLE_NAMES.length);
    for (const name of TABLE_NAMES) {
      const table = resource(template, tableIds[name]);
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });

  test('keys, TTL and indexes match functions/resources.ts', () => {
    for (const name of TABLE_NAMES) {
      const definition = TABLES[name];
      const table = resource(template, tableIds[name]).Properties;
      const sortKey = 'sortKey' in definition ? definition.sortKey : undefined;
      expect(table.KeySchema).toEqual([
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      const ttl = 'ttlAttribute' in definition ? definition.ttlAttribute : undefined;
      expect(table.TimeToLiveSpecification).toEqual(ttl ? { AttributeName: ttl, Enabled: true } : undefined);
      const indexes = 'globalSecondaryIndexes' in definition ? definition.globalSecondaryIndexes : [];
      expect(
        (table.GlobalSecondaryIndexes ?? []).map((index: { IndexName: string }) => index.IndexName),
      ).toEqual(indexes.map((index) => index.indexName));
    }
    // The tables the contract needs to expire rows from.
    for (const name of ['deliveries', 'events', 'rateLimits'] as const) {
      expect(resource(template, tableIds[name]).Properties.TimeToLiveSpecification).toEqual({
        AttributeName: 'expires_at',
        Enabled: true,
      });
    }
  });
});

describe('queues', () => {
  const cases = [
    { queue: 'events', queueId: () => outputTarget(template, 'EventsQueueArn'), maxConcurrency: 10 },
    { queue: 'deliveries', queueId: deliveriesQueueId, maxConcurrency: 50 },
  ];

  test.each(cases)(
    'the $queue queue dead-letters to its own encrypted DLQ, keeping messages 14 days',
    ({ queueId }) => {
      const queue = resource(template, queueId()).Properties;
      const dlqId = referencedId(queue.RedrivePolicy.deadLetterTargetArn);
      const dlq = resource(template, dlqId).Properties;
      expect(dlqId).not.toBe(queueId());
      expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
      for (const properties of [queue, dlq]) {
        expect(properties.SqsManagedSseEnabled).toBe(true);
        expect(properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS_SECONDS);
      }
      expect(dlq.RedrivePolicy).toBeUndefined();
    },
  );

  test.each(cases)('the $queue queue hides a message for at least 6x its consumer timeout', ({ queueId }) => {
    const { functionId } = consumerOf(queueId());
    const timeout = resource(template, functionId).Properties.Timeout;
    expect(timeout).toBeGreaterThan(0);
    expect(resource(template, queueId()).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  test.each(cases)(
    'the $queue queue is consumed in batches of 10 with partial batch failures, at most $maxConcurrency at once',
    ({ queueId, maxConcurrency }) => {
      const { mapping, functionId } = consumerOf(queueId());
      expect(mapping.Properties.BatchSize).toBe(10);
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: maxConcurrency });
      // No reserved concurrency by default: it would take capacity from the API (and, below the
      // mapping's maximum, throttle receives).
      expect(resource(template, functionId).Properties.ReservedConcurrentExecutions).toBeUndefined();
    },
  );

  test.each(cases)(
    'the $queue queue and its DLQ are retained with the stack, like the tables',
    ({ queueId }) => {
      const queue = resource(template, queueId());
      const dlqId = referencedId(queue.Properties.RedrivePolicy.deadLetterTargetArn);
      for (const retained of [queue, resource(template, dlqId)]) {
        expect(retained.DeletionPolicy).toBe('Retain');
        expect((retained as Resource & { UpdateReplacePolicy?: string }).UpdateReplacePolicy).toBe('Retain');
      }
    },
  );

  test('every queue refuses requests without TLS', () => {
    const queueIds = Object.keys(resourcesOfType(template, 'AWS::SQS::Queue'));
    expect(queueIds).toHaveLength(4);
    const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    for (const queueId of queueIds) {
      const denies = policies
        .filter((policy) => referencedIds(policy.Properties.Queues).has(queueId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter(
          (statement) =>
            statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        );
      expect(denies).toHaveLength(1);
    }
  });

  test('the deliveries DLQ only takes a message after more receives than the schedule has attempts', () => {
    const queueId = deliveriesQueueId();
    const { functionId } = consumerOf(queueId);
    const schedule = String(environmentOf(functionId)[ENV.retrySchedule]).split(',');
    const attempts = schedule.length + 1;
    const maxReceiveCount = resource(template, queueId).Properties.RedrivePolicy.maxReceiveCount;
    expect(attempts).toBe(8);
    expect(maxReceiveCount).toBeGreaterThan(attempts);
    expect(maxReceiveCount).toBe(deliveryMaxReceiveCount(schedule.length));
  });
});

describe('secret key', () => {
  test('is a generated 64-character lowercase hex string, retained and never rotated', () => {
    const secrets = Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    const secret = secrets[0] as Resource;
    const generate = secret.Properties.GenerateSecretString;
    expect(generate.PasswordLength).toBe(64);
    expect(generate.ExcludeUppercase).toBe(true);
    expect(generate.ExcludePunctuation).toBe(true);
    expect(generate.IncludeSpace).toBe(false);
    expect(generate.SecretStringTemplate).toBeUndefined();
    // What Secrets Manager may still choose from: digits and lowercase letters minus the excluded ones.
    const alphabet = [...'0123456789abcdefghijklmnopqrstuvwxyz'].filter(
      (char) => !generate.ExcludeCharacters.includes(char),
    );
    expect(alphabet.join('')).toBe('0123456789abcdef');
    expect(secret.DeletionPolicy).toBe('Retain');
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});

describe('outputs', () => {
  test.each([
    ['ApiUrl', 'AWS::ApiGatewayV2::Api'],
    ['EventsQueueUrl', 'AWS::SQS::Queue'],
    ['EventsQueueArn', 'AWS::SQS::Queue'],
    ['EventsDeadLetterQueueUrl', 'AWS::SQS::Queue'],
    ['DeliveriesDeadLetterQueueUrl', 'AWS::SQS::Queue'],
    ['EventsDeadLetterQueueArn', 'AWS::SQS::Queue'],
    ['DeliveriesQueueArn', 'AWS::SQS::Queue'],
    ['DeliveriesDeadLetterQueueArn', 'AWS::SQS::Queue'],
    ['SecretKeyArn', 'AWS::SecretsManager::Secret'],
    ...Object.values(TABLES).map((table) => [`${table.logicalName}TableName`, 'AWS::DynamoDB::Table']),
  ])('%s points at a %s', (name, type) => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const ids = [...referencedIds(outputs[name]?.Value)].filter((id) => !id.startsWith('AWS::'));
    expect(ids).toHaveLength(1);
    expect(resource(template, ids[0] as string).Type).toBe(type);
  });

  test('the redrive ARNs name the right queues', () => {
    expect(outputTarget(template, 'EventsDeadLetterQueueArn')).toBe(
      outputTarget(template, 'EventsDeadLetterQueueUrl'),
    );
    expect(outputTarget(template, 'DeliveriesDeadLetterQueueArn')).toBe(
      outputTarget(template, 'DeliveriesDeadLetterQueueUrl'),
    );
    expect(outputTarget(template, 'DeliveriesQueueArn')).not.toBe(
      outputTarget(template, 'DeliveriesDeadLetterQueueArn'),
    );
  });

  test('the events queue and its DLQ are different queues', () => {
    expect(outputTarget(template, 'EventsQueueUrl')).toBe(outputTarget(template, 'EventsQueueArn'));
    expect(outputTarget(template, 'EventsDeadLetterQueueUrl')).not.toBe(
      outputTarget(template, 'EventsQueueUrl'),
    );
  });
});
