import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ENV } from '../../functions/resources.ts';
import type { StackInfo } from '../../local/stack.ts';

export type { StackInfo };

export interface RunningStack {
  info: StackInfo;
  dataDir: string;
  child: ChildProcess;
  output: string[];
  /** Stops with a signal and resolves to the exit code (SIGKILL is "the machine died"). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * This process's environment without the functions' variables (functions/resources.ts ENV): in a run
 * with the integration project, its global setup points them at its own emulators, and a local stack
 * would take ENCRATA_DYNAMODB_ENDPOINT (and the rest) from there. An e2e stack is configured by its test
 * alone, as `npm start` by a user's shell.
 */
function inheritedEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.values(ENV)) delete env[name];
  return env;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'encrata-e2e-'));
}

/** Runs `node local/start.ts` as `npm start` does and waits for its READY line. */
export async function startStack(
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<RunningStack> {
  const dataDir = options.dataDir ?? tempDataDir();
  const child = spawn(process.execPath, ['local/start.ts'], {
    env: {
      ...inheritedEnvironment(),
      PORT: '0',
      ENCRATA_DATA_DIR: dataDir,
      ENCRATA_ALLOW_PRIVATE_TARGETS: '1',
      ENCRATA_RETRY_SCHEDULE: '1,1',
      ENCRATA_LOG_LEVEL: 'WARN',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const info = await new Promise<StackInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY within 20 s:\n${output.join('')}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited (${code}) before READY:\n${output.join('')}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(`${line}\n`);
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('READY '.length)) as StackInfo);
      }
    });
  });
  return {
    info,
    dataDir,
    child,
    output,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Runs `node local/start.ts` expecting it to fail; resolves to its exit code and stderr. */
export function startExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['local/start.ts'], {
    env: { ...inheritedEnvironment(), ENCRATA_DATA_DIR: tempDataDir(), PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** A small client for the running stack's API. */
export function apiClient(info: StackInfo) {
  return async (method: string, path: string, body?: unknown, key = info.api_key) => {
    const res = await fetch(`${info.api_url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A change to a webhook applies to events published from 2 seconds after its response on (contract
 * §3: fan-out may cache a workspace's subscriptions that long). Tests that publish right after
 * creating, pausing or resuming a webhook wait this out, as a client would have to.
 */
export const CHANGE_PROPAGATION_MS = 2000;
export const changesApplied = () => new Promise((resolve) => setTimeout(resolve, CHANGE_PROPAGATION_MS));
