import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FUNCTION_TIMEOUTS } from '../functions/resources.ts';
import { ensureReceiverCertificate } from './certificates.ts';
import { type LocalConfig, LocalConfigError } from './config.ts';
import { prepareDataDir } from './data-dir.ts';
import { type Emulators, startEmulators } from './emulators.ts';
import { SqsEventSource } from './event-source.ts';
import { type InstalledFaults, installFaults } from './faults.ts';
import { functionEnvironment } from './function-environment.ts';

export const DEV_WORKSPACE_ID = 'ws_dev';

/** What `READY` prints and `stack.json` holds (contract §6). */
export interface StackInfo {
  api_url: string;
  dashboard_url: string;
  workspace_id: string;
  api_key: string;
  sqs_endpoint: string;
  events_queue_url: string;
  events_dlq_url: string;
  deliveries_queue_url: string;
  deliveries_dlq_url: string;
  dynamodb_endpoint: string;
  tables: Record<string, string>;
  data_dir: string;
  pid: number;
}

export interface LocalStack {
  info: StackInfo;
  stop(): Promise<void>;
}

/** A value kept in the data directory across restarts, generated on first use. */
function persistentValue(dataDir: string, file: string, generate: () => string): string {
  const path = join(dataDir, file);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    const value = generate();
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    return value;
  }
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new LocalConfigError(`Port ${port} is already in use; set PORT to a free port.`);
    if (code === 'EACCES')
      throw new LocalConfigError(`Port ${port} needs privileges this user lacks; set PORT above 1023.`);
    throw error;
  }
  return (server.address() as AddressInfo).port;
}

/**
 * Starts the whole system in this process: emulators, the functions' environment, the seeded dev
 * workspace and key, the API Gateway emulation and the two SQS event source mappings.
 * Functions are imported only after their environment is set, as Lambda would.
 */
export async function startLocalStack(
  cfg: LocalConfig,
  log: (line: string) => void = () => {},
): Promise<LocalStack> {
  prepareDataDir(cfg.dataDir);
  // The SDK wants a region and credentials even for emulators; real ones are never needed here.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  let ready = false;
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((req, res) => {
    if (!ready || !handle) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: 'The local stack is starting', code: 'starting' }));
      return;
    }
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  const port = await listen(server, cfg.port, cfg.host);
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const apiUrl = `http://${hostForUrl}:${port}`;

  let emulators: Emulators;
  try {
    emulators = await startEmulators({
      dataDir: cfg.dataDir,
      retries: cfg.retrySchedule.length,
      dynamodbEndpoint: cfg.dynamodbEndpoint,
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const secretKeyHex = persistentValue(cfg.dataDir, 'secret-key', () => randomBytes(32).toString('hex'));
  // `npm run receiver` serves this certificate; trusting it here means no extra step for a newcomer.
  const receiverCertificate = await ensureReceiverCertificate(cfg.dataDir);
  Object.assign(
    process.env,
    functionEnvironment(emulators, {
      secretKeyHex,
      retrySchedule: cfg.retrySchedule,
      allowPrivateTargets: cfg.allowPrivateTargets,
      logLevel: cfg.logLevel,
      rateLimitPerMinute: cfg.rateLimitPerMinute,
      maxWebhooks: cfg.maxWebhooks,
      autoDisableAfterSeconds: cfg.autoDisableAfterSeconds,
      extraCaFile: receiverCertificate.certFile,
    }),
  );

  const { QUEUE_HANDLERS } = await import('./handlers.ts');
  const { handleHttp } = await import('./server.ts');
  const { ensureApiKey } = await import('./seed.ts');
  const { generateApiKey } = await import('../functions/core/ids.ts');
  let apiKey = cfg.devApiKey ?? persistentValue(cfg.dataDir, 'dev-api-key', generateApiKey);
  const seed = (key: string) =>
    ensureApiKey({ key, workspaceId: DEV_WORKSPACE_ID, name: 'Local development key' });
  if (!(await seed(apiKey))) {
    if (cfg.devApiKey) {
      await emulators.stop();
      server.close();
      throw new LocalConfigError(
        'ENCRATA_DEV_API_KEY was revoked in this data directory; choose another key.',
      );
    }
    // The kept dev key was revoked (through the API or the dashboard): issue a fresh one.
    apiKey = generateApiKey();
    writeFileSync(join(cfg.dataDir, 'dev-api-key'), `${apiKey}\n`, { mode: 0o600 });
    await seed(apiKey);
  }

  // Injected AWS faults (ENCRATA_FAULTS) start once the stack is seeded, and spare the event source
  // mappings' own client (on AWS those are Lambda's, not this code's).
  let faults: InstalledFaults | undefined;
  if (cfg.faults) {
    faults = installFaults(cfg.faults, { exempt: [emulators.sqs] });
    log(`fault injection on (ENCRATA_FAULTS): ${JSON.stringify(cfg.faults)}`);
  }

  const onError = (source: string) => (error: unknown) =>
    log(`${source}: ${(error as Error).message ?? error}`);
  const sources = [
    new SqsEventSource({
      sqs: emulators.sqs,
      queueUrl: emulators.queues.events.url,
      queueArn: emulators.queues.events.arn,
      functionName: 'fanout',
      timeoutSeconds: FUNCTION_TIMEOUTS.fanout,
      handler: QUEUE_HANDLERS.fanout,
      onError: onError('fanout'),
    }),
    new SqsEventSource({
      sqs: emulators.sqs,
      queueUrl: emulators.queues.deliveries.url,
      queueArn: emulators.queues.deliveries.arn,
      functionName: 'dispatcher',
      timeoutSeconds: FUNCTION_TIMEOUTS.dispatcher,
      handler: QUEUE_HANDLERS.dispatcher,
      concurrency: 4,
      onError: onError('dispatcher'),
    }),
  ];
  // A killed predecessor's in-flight batch is retried now rather than after its visibility timeout.
  const released = await emulators.releaseInFlight();
  if (released > 0) log(`released ${released} message(s) left in flight by a previous run`);
  for (const source of sources) source.start();
  handle = handleHttp;
  ready = true;

  const info: StackInfo = {
    api_url: apiUrl,
    dashboard_url: `${apiUrl}/`,
    workspace_id: DEV_WORKSPACE_ID,
    api_key: apiKey,
    sqs_endpoint: emulators.sqsEndpoint,
    events_queue_url: emulators.queues.events.url,
    events_dlq_url: emulators.queues.events.dlqUrl,
    deliveries_queue_url: emulators.queues.deliveries.url,
    deliveries_dlq_url: emulators.queues.deliveries.dlqUrl,
    dynamodb_endpoint: emulators.dynamodbEndpoint,
    tables: emulators.tables,
    data_dir: cfg.dataDir,
    pid: process.pid,
  };
  writeFileSync(join(cfg.dataDir, 'stack.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });

  let stopping: Promise<void> | undefined;
  return {
    info,
    stop: () => {
      stopping ??= (async () => {
        ready = false;
        server.close();
        server.closeAllConnections();
        await Promise.all(sources.map((source) => source.stop()));
        if (faults) {
          // One line the chaos suite reads: how many calls were made and how many were failed.
          log(`FAULTS ${JSON.stringify(faults.counts)}`);
          faults.uninstall();
        }
        await emulators.stop();
        rmSync(join(cfg.dataDir, 'stack.json'), { force: true });
      })();
      return stopping;
    },
  };
}
