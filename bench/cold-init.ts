/**
 * Bundles each function exactly as the CDK stack does (lib/bundling.ts) and measures, in a fresh
 * Node.js process per function, the three parts of a cold start: the runtime's boot (process start
 * to the first line of code), importing the bundle, and the first call against the emulators.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions } from '../lib/bundling.ts';

export interface FunctionSample {
  name: string;
  entry: string;
  /** The event of the first call, for each run (a fresh one each time where the call changes state). */
  event: (run: number) => unknown | Promise<unknown>;
}

export interface ColdInit {
  name: string;
  bytes: number;
  gzipBytes: number;
  bootMs: number;
  importMs: number;
  firstCallMs: number;
  totalMs: number;
  /** The first call's HTTP status, or its batch item failures for a queue consumer. */
  outcome: string;
}

// The driver runs inside the child: CommonJS, like the runtime loading a bundled handler.
const DRIVER = `
const bootMs = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const importMs = performance.now() - bootMs;
const deadline = Date.now() + 30000;
const context = {
  callbackWaitsForEmptyEventLoop: false, functionName: process.env.BENCH_NAME, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.BENCH_NAME,
  memoryLimitInMB: '256', awsRequestId: 'cold-init', logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
  getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {},
};
const start = performance.now();
Promise.resolve(mod.handler(JSON.parse(process.env.BENCH_EVENT), context)).then((result) => {
  const firstCallMs = performance.now() - start;
  const outcome = result && result.statusCode !== undefined ? String(result.statusCode)
    : result && result.batchItemFailures ? result.batchItemFailures.length + ' failed' : 'ok';
  process.stdout.write(JSON.stringify({ bootMs, importMs, firstCallMs, totalMs: performance.now(), outcome }) + '\\n');
  process.exit(0);
}, (error) => { process.stderr.write(String(error && error.stack || error) + '\\n'); process.exit(1); });
`;

async function runChild(
  bundle: string,
  name: string,
  event: unknown,
  env: Record<string, string>,
): Promise<Omit<ColdInit, 'name' | 'bytes' | 'gzipBytes'>> {
  const child = spawn(process.execPath, ['-e', DRIVER], {
    // What the deployed function gets (lib/constructs/node-function.ts).
    env: {
      ...env,
      NODE_OPTIONS: '--enable-source-maps',
      BENCH_BUNDLE: bundle,
      BENCH_NAME: name,
      BENCH_EVENT: JSON.stringify(event),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`cold init of ${name} failed (${code}): ${err.slice(0, 2000)}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}

/** Builds and cold-starts every sample, one after another (`runs` times each, the median kept). */
export async function measureColdInits(
  samples: FunctionSample[],
  env: Record<string, string>,
  outDir: string,
  runs = 3,
): Promise<ColdInit[]> {
  const results: ColdInit[] = [];
  for (const sample of samples) {
    const dir = join(outDir, sample.name);
    mkdirSync(dir, { recursive: true });
    const built = await build({
      ...esbuildOptions(sample.entry),
      outfile: join(dir, 'index.js'),
      write: false,
    });
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of built.outputFiles) {
      writeFileSync(file.path, file.contents);
      if (file.path.endsWith('index.js')) {
        bytes = file.contents.length;
        gzipBytes = gzipSync(file.contents).length;
      }
    }
    const measured: Omit<ColdInit, 'name' | 'bytes' | 'gzipBytes'>[] = [];
    for (let i = 0; i < runs; i++) {
      measured.push(await runChild(join(dir, 'index.js'), sample.name, await sample.event(i), env));
    }
    measured.sort((a, b) => a.totalMs - b.totalMs);
    const median = measured[Math.floor(measured.length / 2)] ?? measured[0];
    if (!median) throw new Error(`no measurement for ${sample.name}`);
    results.push({ name: sample.name, bytes, gzipBytes, ...median });
  }
  return results;
}
