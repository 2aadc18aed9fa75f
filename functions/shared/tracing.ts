/**
 * X-Ray subsegments for every AWS SDK call (DynamoDB, SQS, Secrets Manager) of the functions that
 * import this module: the API's (through the HTTP handler factory) and the fan-out. On Lambda, with
 * active tracing, each call then shows in the function's trace with its operation, table or queue and
 * duration; outside Lambda the tracer is off and the clients are left as they are.
 *
 * The dispatcher does not import it: the tracer brings aws-xray-sdk-core, +~120 KiB minified and
 * +~10 ms of import, and the dispatcher's budget is 350 KiB and 150 ms of cold init (docs/operations.md,
 * "Tracing"). Its trace still has Lambda's own segments (initialization, invocation).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { instrumentClients } from './wiring.ts';

export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'encrata-webhooks' });

instrumentClients((client) => tracer.captureAWSv3Client(client));
