import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { API_KEY_PATTERN } from '../../functions/core/ids.ts';
import {
  apiClient,
  changesApplied,
  eventually,
  type RunningStack,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';

const run = promisify(execFile);
jest.setTimeout(90_000);

/** A port nothing listens on now (not the default 3000): the README's commands must follow PORT. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The user's second terminal: nothing of the stack's own configuration, only what they export. */
function terminal(exports: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ENCRATA_')),
  );
  return { ...env, ...exports };
}

/** Runs `eval "$(npm run -s stack:env)"` in a shell and returns what it exported. */
async function stackEnv(dataDir: string): Promise<Record<string, string>> {
  const names = [
    'ENCRATA_DATA_DIR',
    'ENCRATA_API_URL',
    'ENCRATA_BASE_URL',
    'ENCRATA_API_KEY',
    'ENCRATA_WORKSPACE_ID',
  ];
  const { stdout } = await run(
    'bash',
    [
      '-c',
      `eval "$("${process.execPath}" scripts/stack-env.ts)" && ${names.map((n) => `printf '%s\\n' "$${n}"`).join(' && ')}`,
    ],
    { env: terminal({ ENCRATA_DATA_DIR: dataDir }) },
  );
  const lines = stdout.trimEnd().split('\n');
  return Object.fromEntries(names.map((name, i) => [name, lines[i] ?? '']));
}

/** README "Watch a delivery in two terminals", with a data directory and port other than the defaults. */
describe('the README flow with any ENCRATA_DATA_DIR and PORT', () => {
  let stack: RunningStack | undefined;
  let receiver: ChildProcess | undefined;
  // A directory whose name needs quoting in a shell.
  const dataDir = join(tempDataDir(), "my 'data' dir");
  mkdirSync(dataDir, { recursive: true });

  afterEach(async () => {
    receiver?.kill('SIGTERM');
    receiver = undefined;
    await stack?.stop('SIGKILL');
    stack = undefined;
  });

  it('stack:env, receiver --create, publish, keys:create, redrive and demo all find the stack', async () => {
    const port = await freePort();
    stack = await startStack({ dataDir, env: { PORT: String(port) } });
    expect(stack.info.api_url).toBe(`http://127.0.0.1:${port}`);

    const exported = await stackEnv(dataDir);
    expect(exported).toEqual({
      ENCRATA_DATA_DIR: dataDir,
      ENCRATA_API_URL: `http://127.0.0.1:${port}`,
      ENCRATA_BASE_URL: `http://127.0.0.1:${port}`,
      ENCRATA_API_KEY: stack.info.api_key,
      ENCRATA_WORKSPACE_ID: 'ws_dev',
    });
    const env = terminal(exported);

    // The receiver serves the data directory's certificate and creates its own webhook.
    const lines: string[] = [];
    receiver = spawn(process.execPath, ['scripts/receiver.ts', '--create', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: receiver.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
    receiver.stderr?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const createdLine = await eventually(async () => lines.find((l) => l.startsWith('Created webhook ')));
    const webhookId = /^Created webhook (\S+)/.exec(createdLine)?.[1] ?? '';
    expect(lines.join('\n')).toContain(`the local stack in ${dataDir} trusts it`);
    await changesApplied();

    await run(
      process.execPath,
      ['scripts/publish.ts', 'lookup.completed', '{"email":"a@b.c","lookup_id":"lu_1"}'],
      {
        env,
      },
    );
    await eventually(async () =>
      lines.find((l) => l.includes('verified: X-Encrata-Signature valid, Standard Webhooks valid')),
    );
    const api = apiClient(stack.info);
    const deliveries = await eventually(async () => {
      const res = await api('GET', `/api/webhooks/deliveries?webhook_id=${webhookId}`);
      return res.json?.[0]?.status === 'success' ? res.json : undefined;
    });
    expect(deliveries).toHaveLength(1);

    const keys = await run(
      process.execPath,
      ['scripts/keys-create.ts', '--workspace', 'ws_other', '--name', 'Other'],
      {
        env,
      },
    );
    expect(keys.stdout.trim()).toMatch(API_KEY_PATTERN);

    const redrive = await run(process.execPath, ['scripts/redrive.ts'], { env });
    expect(redrive.stdout).toMatch(/\d/);

    const demo = await run(process.execPath, ['scripts/demo.ts'], { env });
    expect(demo.stdout).toContain(`Local stack: http://127.0.0.1:${port} (data in ${dataDir})`);
    expect(demo.stdout).toContain('The demo worked: delivered, verified, recorded.');
  });

  it('after a restart stack.json names the queues on their current port, and a refusal names the switch', async () => {
    stack = await startStack({ dataDir: tempDataDir() });
    const dir = stack.dataDir;
    const firstSqs = stack.info.sqs_endpoint;
    await stack.stop('SIGKILL');
    stack = await startStack({ dataDir: dir, env: { ENCRATA_ALLOW_PRIVATE_TARGETS: '0' } });
    expect(stack.info.sqs_endpoint).not.toBe(firstSqs);
    const written = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8'));
    const sqsPort = new URL(stack.info.sqs_endpoint).port;
    for (const name of ['events_queue_url', 'events_dlq_url', 'deliveries_queue_url', 'deliveries_dlq_url']) {
      expect(new URL(written[name]).port).toBe(sqsPort);
    }

    const api = apiClient(stack.info);
    const refused = await api('POST', '/api/webhooks', {
      url: 'https://127.0.0.1:4443/webhooks',
      events: ['lookup.completed'],
    });
    expect(refused.status).toBe(400);
    expect(refused.json.details).toEqual([
      {
        path: 'url',
        message:
          'url must not point at a private, loopback or reserved address (the local stack allows it when started with ENCRATA_ALLOW_PRIVATE_TARGETS=1)',
      },
    ]);

    // A killed stack leaves stack.json behind; the scripts say it is not running instead of hanging.
    await stack.stop('SIGKILL');
    stack = undefined;
    const missing = await run(process.execPath, ['scripts/stack-env.ts'], {
      env: terminal({ ENCRATA_DATA_DIR: dir }),
    }).catch((error: { code: number; stderr: string }) => error);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr.trim()).toBe(
      `The local stack in ${dir} is not running (its process ended); start it with npm start in the same ENCRATA_DATA_DIR.`,
    );
  });
});
