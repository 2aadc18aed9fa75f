import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child Node.js process speaking one JSON line per answer on stdout. */
export interface LineChild {
  process: ChildProcess;
  /** The next line it prints, parsed. */
  next<T>(): Promise<T>;
  /** Sends a command line and waits for its one-line answer. */
  ask<T>(command: string): Promise<T>;
  /** Every further line, to a callback (instead of `next`). */
  onLine(callback: (line: string) => void): void;
  stop(): void;
}

export function lineChild(script: string, env: Record<string, string> = {}): LineChild {
  const proc = spawn(process.execPath, [script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const waiting: ((line: string) => void)[] = [];
  const buffered: string[] = [];
  let listener: ((line: string) => void) | undefined;
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (listener) return listener(line);
    const take = waiting.shift();
    if (take) take(line);
    else buffered.push(line);
  });
  const failures: ((error: Error) => void)[] = [];
  proc.once('exit', (code) => {
    for (const fail of failures.splice(0)) fail(new Error(`${script} exited (${code})`));
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const ready = buffered.shift();
      if (ready !== undefined) return resolve(ready);
      waiting.push(resolve);
      failures.push(reject);
    });
  return {
    process: proc,
    next: async <T>() => JSON.parse(await nextLine()) as T,
    ask: async <T>(command: string) => {
      proc.stdin?.write(`${command}\n`);
      return JSON.parse(await nextLine()) as T;
    },
    onLine: (callback) => {
      listener = callback;
      for (const line of buffered.splice(0)) callback(line);
    },
    stop: () => {
      proc.stdin?.end();
      setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    },
  };
}
