import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { functionEnvironment } from '../../local/function-environment.ts';

declare global {
  var __EMULATORS__: ChildProcess | undefined;
}

interface EmulatorInfo {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<string, string>;
  queues: Record<string, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
}

/** Starts the emulators once for the integration project and points the functions' config at them. */
export default async function globalSetup(): Promise<void> {
  const child = spawn(process.execPath, ['test/support/emulators-process.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, RETRIES: '2' },
  });
  globalThis.__EMULATORS__ = child;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulators did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`emulators exited early (${code})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (first) => {
      clearTimeout(timer);
      resolve(first);
    });
  });
  const info = JSON.parse(line) as EmulatorInfo;
  Object.assign(
    process.env,
    functionEnvironment(info, {
      secretKeyHex: randomBytes(32).toString('hex'),
      retrySchedule: [1, 2],
      allowPrivateTargets: true,
      logLevel: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    }),
  );
}
