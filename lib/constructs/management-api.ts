import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_MEMORY_MB, FUNCTION_TIMEOUTS, type TableName } from '../../functions/resources.ts';
import type { DynamoAction } from '../../functions/routes/route.ts';
import { API_PREFIXES, FALLBACK_HANDLER, fullPath, ROUTES, type RouteSpec } from '../../functions/routes.ts';
import { regionalName, toPascalCase } from '../stage.ts';
import { NodeFunction } from './node-function.ts';
import type { SecretKey } from './secret-key.ts';
import type { Tables } from './tables.ts';

/**
 * One JSON object per request. It names the caller only by IP: no header is logged, so the
 * Authorization header (the API key) can never reach the logs.
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
});

const AUTH_IN_HANDLER_REASON =
  'Authentication is done by the handler middleware (Bearer API key, SHA-256 lookup): an HTTP API ' +
  'Lambda authorizer cannot customise its 401 body, and the contract requires ' +
  '{"error":"Unauthorized","code":"unauthorized"}. Public routes (health, openapi, $default 404/405) need none.';

export interface ManagementApiThrottle {
  /** Steady-state requests per second across the stage. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the steady rate. */
  readonly burstLimit: number;
}

/**
 * Throttles of the routes anyone can call without a key (`$default` — every unknown path — health and
 * the OpenAPI document): API Gateway's throttles count all callers together, so without these a flood
 * of unauthenticated requests would use up the stage's budget that key holders share.
 */
export const PUBLIC_ROUTE_THROTTLE: ManagementApiThrottle = { rateLimit: 20, burstLimit: 40 };

export interface ManagementApiProps {
  readonly tables: Tables;
  readonly secretKey: SecretKey;
  /** The queues a route may send to (`RouteDefinition.sends`). */
  readonly queues: Record<'events' | 'deliveries', sqs.IQueue>;
  /** Environment of every route function (table names, queue URLs, secret ARN, limits). */
  readonly environment: Record<string, string>;
  /**
   * Stage-wide throttling, in front of the per-key rate limit the handlers enforce.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ManagementApiThrottle;
  /**
   * Throttling of each route that needs no API key (and of `$default`), within the stage's.
   * @default PUBLIC_ROUTE_THROTTLE
   */
  readonly publicRouteThrottle?: ManagementApiThrottle;
  /** Timeout of each route function. @default FUNCTION_TIMEOUTS.api seconds */
  readonly timeout?: Duration;
  /** Memory of each route function, in MiB. @default FUNCTION_MEMORY_MB.api */
  readonly memorySize?: number;
  /** The Powertools service name of the functions. @default NodeFunction's default */
  readonly serviceName?: string;
  /** How long function and access logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log groups when they leave the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The management API (contract §3): an HTTP API with one route and one function per entry of
 * `ROUTES` (functions/routes.ts), and a `$default` route whose function answers 404/405 in the
 * contract's error format, so API Gateway's own `{"message":"Not Found"}` is never returned.
 *
 * The execute-api endpoint stays enabled: it is the CloudFront distribution's origin (disabling it
 * needs an API Gateway custom domain and certificate in its place) and the `ApiUrl` SDK and CLI users
 * are given. Both paths run the same routes, authentication and per-key rate limit.
 */
export class ManagementApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** Route functions by `RouteDefinition.handler`, plus the fallback under `FALLBACK_HANDLER`. */
  readonly functions: ReadonlyMap<string, NodeFunction>;
  /** Base URL of the API (ends with `/`); API paths start with `api/`. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: ManagementApiProps) {
    super(scope, id);
    const functions = new Map<string, NodeFunction>();
    const makeFunction = (handler: string, description: string): NodeFunction => {
      const fn = new NodeFunction(this, `${toPascalCase(handler)}Handler`, {
        entry: `functions/api/${handler}.ts`,
        description,
        timeout: props.timeout ?? Duration.seconds(FUNCTION_TIMEOUTS.api),
        memorySize: props.memorySize ?? FUNCTION_MEMORY_MB.api,
        environment: props.environment,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        serviceName: props.serviceName,
      });
      functions.set(handler, fn);
      return fn;
    };

    const fallback = makeFunction(FALLBACK_HANDLER, 'Answers unknown paths (404) and wrong methods (405)');
    // It identifies a valid key, so a wrong method on a rate-limited path counts and carries the
    // rate-limit headers like any other request there.
    this.grantAuthentication(fallback, props, true);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: regionalName(this, 'api'),
      description: 'encrata-webhooks management API',
      defaultIntegration: new HttpLambdaIntegration('FallbackIntegration', fallback.function),
      // The default stage is added below, because only addStage() takes throttling and access logs.
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const throttle = props.throttle ?? { rateLimit: 100, burstLimit: 200 };
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    this.apiUrl = this.stage.url;

    // One function per declared route, mounted under every API prefix (contract §7).
    const publicRoutes: { route: apigwv2.HttpRoute; key: string }[] = [];
    for (const route of ROUTES) {
      const fn = makeFunction(route.name, `${route.method} ${route.path} (under ${API_PREFIXES.join(', ')})`);
      this.grantRouteAccess(fn, route, props);
      const integration = new HttpLambdaIntegration(`${toPascalCase(route.name)}Integration`, fn.function);
      for (const prefix of API_PREFIXES) {
        const routeKey = apigwv2.HttpRouteKey.with(fullPath(prefix, route), apigwv2.HttpMethod[route.method]);
        const httpRoute = new apigwv2.HttpRoute(this, `${toPascalCase(route.name)}${prefixId(prefix)}Route`, {
          httpApi: this.httpApi,
          routeKey,
          integration,
        });
        if (route.auth === 'none') publicRoutes.push({ route: httpRoute, key: routeKey.key });
      }
    }
    this.functions = functions;
    this.throttlePublicRoutes(publicRoutes, props.publicRouteThrottle ?? PUBLIC_ROUTE_THROTTLE);

    Validations.of(this).acknowledge({ id: 'AwsSolutions-APIG4', reason: AUTH_IN_HANDLER_REASON });
  }

  /**
   * Per-route throttles for the public routes and `$default`. The stage must be created after the
   * routes it names (CloudFormation refuses settings for a route key it cannot find).
   */
  private throttlePublicRoutes(
    routes: { route: apigwv2.HttpRoute; key: string }[],
    throttle: ManagementApiThrottle,
  ): void {
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    const settings = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
    const routeKeys = ['$default', ...routes.map(({ key }) => key)];
    cfnStage.routeSettings = Object.fromEntries(routeKeys.map((key) => [key, settings]));
    for (const { route } of routes) cfnStage.node.addDependency(route);
    const defaultRoute = this.httpApi.node.tryFindChild('DefaultRoute');
    if (defaultRoute) cfnStage.node.addDependency(defaultRoute);
  }

  /** Exactly the actions the route declares, on the tables, indexes, queues and secret it names. */
  private grantRouteAccess(fn: NodeFunction, route: RouteSpec, props: ManagementApiProps): void {
    const { access } = route;
    for (const [name, actions] of Object.entries(access.tables ?? {}) as [
      TableName,
      readonly DynamoAction[],
    ][]) {
      props.tables.grantActions(name, fn, actions);
    }
    for (const [name, actions] of Object.entries(access.indexes ?? {}) as [
      TableName,
      readonly DynamoAction[],
    ][]) {
      props.tables.grantIndexActions(name, fn, actions);
    }
    for (const queue of access.sends ?? []) props.queues[queue].grant(fn, 'sqs:SendMessage');
    if (access.secretKey) props.secretKey.grantRead(fn);
    if (route.auth === 'key') this.grantAuthentication(fn, props, route.rateLimited);
  }

  /**
   * The auth middleware looks the key up by hash and records last_used; on rate-limited routes the
   * limiter moves the key's and the workspace's budgets (UpdateItem) and reads one when it refuses.
   */
  private grantAuthentication(fn: NodeFunction, props: ManagementApiProps, rateLimited: boolean): void {
    props.tables.grantActions('apiKeys', fn, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    if (rateLimited) props.tables.grantActions('rateLimits', fn, ['dynamodb:UpdateItem', 'dynamodb:GetItem']);
  }
}

/** The construct-id part of a prefix: `/api` keeps the ids it always had, the others get theirs. */
function prefixId(prefix: string): string {
  return toPascalCase(prefix.replace(/^\/api\/?/, ''));
}
