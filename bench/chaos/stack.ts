/**
 * The local stack as the chaos suite drives it: `node local/start.ts` in a child process with its
 * own data directory and ports, started, SIGKILLed and restarted at will.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { ENV } from '../../functions/resources.ts';

export const stackInfoSchema = z.object({
  api_url: z.string(),
  workspace_id: z.string(),
  api_key: z.string(),
  sqs_endpoint: z.string(),
  events_queue_url: z.string(),
  deliveries_queue_url: z.string(),
  events_dlq_url: z.string(),
  deliveries_dlq_url: z.string(),
  data_dir: z.string(),
});
export type ChaosStackInfo = z.infer<typeof stackInfoSchema>;

const faultCountsSchema = z.record(
  z.string(),
  z.object({ calls: z.number(), failed: z.number(), lost: z.number() }),
);
export type FaultTotals = z.infer<typeof faultCountsSchema>;

export interface ChaosStack {
  info: ChaosStackInfo;
  /** When READY was printed (ms). */
  readyAt: number;
  child: ChildProcess;
  /** The FAULTS line a graceful stop prints (fault injection on). */
  faults(): FaultTotals | undefined;
  /** SIGKILL: the machine died. */
  kill(): Promise<void>;
  /** SIGTERM (in-flight batches finish), SIGKILL after `graceMs`. Resolves whether it stopped gracefully. */
  stop(graceMs?: number): Promise<boolean>;
}

const READY_WITHIN_MS = 60_000;

/** Starts the stack and waits for its READY line. */
export async function startChaosStack(dataDir: string, env: Record<string, string>): Promise<ChaosStack> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('ENCRATA_') && !(Object.values(ENV) as string[]).includes(name),
    ),
  );
  const child = spawn(process.execPath, ['local/start.ts'], {
    env: {
      ...inherited,
      PORT: '0',
      ENCRATA_DATA_DIR: dataDir,
      ENCRATA_ALLOW_PRIVATE_TARGETS: '1',
      ENCRATA_LOG_LEVEL: 'SILENT',
      ENCRATA_RATE_LIMIT_PER_MINUTE: '1000000',
      ENCRATA_MAX_WEBHOOKS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 200) stderr.splice(0, 100);
  });
  const exited = once(child, 'exit');
  const info = await new Promise<ChaosStackInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no READY line within 60 s')), READY_WITHIN_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited (${code}) before READY: ${stderr.slice(-5).join(' | ')}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve(stackInfoSchema.parse(JSON.parse(line.slice('READY '.length))));
    });
  });
  const readyAt = Date.now();
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    info,
    readyAt,
    child,
    faults: () => {
      const line = stderr.findLast((l) => l.startsWith('FAULTS '));
      return line ? faultCountsSchema.parse(JSON.parse(line.slice('FAULTS '.length))) : undefined;
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 20_000) => {
      if (!running()) return false;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code === 0;
    },
  };
}
