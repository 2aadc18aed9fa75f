/**
 * Runs fauxqs and dynalite in memory — or, with ENCRATA_DYNAMODB_ENDPOINT, another DynamoDB such as
 * AWS's DynamoDB Local — with the stack's tables and queues, for the integration tests (a child
 * process: fauxqs is ESM-only and jest runs test code as CommonJS). Prints one JSON line with the
 * endpoints, and stops on SIGTERM or when its parent's stdin closes.
 */
import { randomBytes } from 'node:crypto';
import { startEmulators } from '../../local/emulators.ts';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

// On an endpoint that outlives this run (and may hold a local stack's tables), the run gets tables of
// its own, dropped when it ends.
const external = process.env.ENCRATA_DYNAMODB_ENDPOINT || undefined;
const emulators = await startEmulators({
  retries: Number(process.env.RETRIES ?? 2),
  dynamodbEndpoint: external,
  ...(external
    ? { tablePrefix: `encrata-it-${randomBytes(4).toString('hex')}-`, dropTablesOnStop: true }
    : {}),
});
process.stdout.write(
  `${JSON.stringify({
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    tables: emulators.tables,
    queues: emulators.queues,
  })}\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  emulators.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('close', stop);
process.stdin.resume();
