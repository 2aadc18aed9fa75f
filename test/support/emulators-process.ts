/**
 * Runs dynalite and fauxqs in memory, with the stack's tables and queues, for the integration
 * tests (a child process: fauxqs is ESM-only and jest runs test code as CommonJS). Prints one JSON
 * line with the endpoints, and stops on SIGTERM or when its parent's stdin closes.
 */
import { startEmulators } from '../../local/emulators.ts';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const emulators = await startEmulators({ retries: Number(process.env.RETRIES ?? 2) });
process.stdout.write(
  `${JSON.stringify({
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    tables: emulators.tables,
    queues: emulators.queues,
  })}\n`,
);
const stop = () => emulators.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('close', stop);
process.stdin.resume();
