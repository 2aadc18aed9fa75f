/**
 * Encrata's real CLI, unchanged, against the local stack: every webhook and key command a user runs.
 * Bring your own build of it (its public source: Encratahq/encrata-cli) and run
 * `ENCRATA_CLI_BIN=/path/to/encrata npm run test:cli`. It is not part of `npm test`: nothing here
 * ships or builds the CLI, so CI has none to run. test/e2e/cli-compat.test.ts replays its every
 * request byte for byte in CI instead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalCertificate } from '../../local/certificates.ts';
import { type RunningStack, startStack, tempDataDir } from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

jest.setTimeout(60_000);

const CLI = process.env.ENCRATA_CLI_BIN;
if (!CLI)
  throw new Error('Set ENCRATA_CLI_BIN to a built Encrata CLI (see the comment at the top of this file).');

describe('Encrata’s CLI against the local stack', () => {
  let stack: RunningStack;
  let receiver: TestReceiver;
  const home = mkdtempSync(join(tmpdir(), 'encrata-cli-home-'));

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    const caFile = join(tempDataDir(), 'receiver-ca.pem');
    writeFileSync(caFile, tls.cert);
    receiver = await new TestReceiver(tls).start();
    stack = await startStack({
      env: { NODE_EXTRA_CA_CERTS: caFile, ENCRATA_RATE_LIMIT_PER_MINUTE: '100000' },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  /** Runs `encrata …`; resolves to its exit code and output (no TTY, no colour, nothing on stdin). */
  function encrata(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        CLI as string,
        args,
        {
          env: {
            PATH: process.env.PATH,
            HOME: home,
            NO_COLOR: '1',
            ENCRATA_BASE_URL: stack.info.api_url,
            ENCRATA_API_KEY: stack.info.api_key,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
  }

  it('manages webhooks: create, list, update, test, deliveries, delete', async () => {
    const url = receiver.on('/real-cli', () => ({ status: 204 }));
    const created = await encrata(
      'webhooks',
      'create',
      url,
      '--events',
      'lookup.completed,credits.low',
      '--description',
      'from the CLI',
    );
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('Webhook created');
    const id = /ID\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.stdout).toMatch(/Secret\s+whsec_[0-9a-f]{64}/);

    const list = await encrata('webhooks', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`${id}\\s+${url.replace(/[.?]/g, '\\$&')}\\s+lookup.completed, credits.low\\s+active`),
    );

    expect((await encrata('webhooks', 'update', id, '--disable')).stdout).toContain(`Webhook ${id} updated`);
    expect((await encrata('webhooks', 'list')).stdout).toMatch(new RegExp(`${id}.*disabled`));
    await encrata('webhooks', 'update', id, '--enable', '--description', 'renamed');

    const tested = await encrata('webhooks', 'test', id);
    expect(tested).toMatchObject({ code: 0 });
    expect(tested.stdout).toContain(`Test delivered to ${url} (HTTP 204)`);

    const deliveries = await encrata('webhooks', 'deliveries', id);
    expect(deliveries.stdout).toMatch(/Deliveries: 1/);
    expect(deliveries.stdout).toMatch(/test\s+success\s+204\s+1/);

    const deleted = await encrata('webhooks', 'delete', id, '--yes');
    expect(deleted.stdout).toContain(`Webhook ${id} deleted`);
    expect((await encrata('webhooks', 'list')).stdout).not.toContain(id);
  });

  it('manages keys: create, ls, rename, disable, enable, revoke, delete, limit', async () => {
    const created = await encrata('keys', 'create', 'CI key');
    expect(created.stdout).toContain('API key created');
    const id = /ID\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
    const key = /Key\s+(enc_live_\S+)/.exec(created.stdout)?.[1] ?? '';
    expect(key).toHaveLength(41);
    const row = async () =>
      (await encrata('keys', 'ls')).stdout.split('\n').find((line) => line.includes(id)) ?? '';
    expect(await row()).toMatch(new RegExp(`${id}\\s+CI key\\s+${key.slice(0, 12)}\\s+enabled\\s+0\\s+—`));

    expect((await encrata('keys', 'rename', id, 'Prod key')).stdout).toContain('API key renamed');
    expect(await row()).toContain('Prod key');
    expect((await encrata('keys', 'disable', id)).stdout).toContain(`API key disabled: ${id}`);
    expect(await row()).toMatch(/\sdisabled\s/);
    expect((await encrata('keys', 'enable', id)).stdout).toContain(`API key enabled: ${id}`);
    expect(await row()).toMatch(/\senabled\s/);
    expect((await encrata('keys', 'revoke', id, '--yes')).stdout).toContain(`API key revoked: ${id}`);
    expect(await row()).toMatch(/\sdisabled\s/);
    const enableRevoked = await encrata('keys', 'enable', id);
    expect(enableRevoked.code).toBe(1);
    expect(enableRevoked.stderr).toMatch(/revoked/);

    const temp = /ID\s+(\S+)/.exec((await encrata('keys', 'create', 'temp')).stdout)?.[1] ?? '';
    expect((await encrata('keys', 'revoke', temp, '--permanent', '--yes')).stdout).toContain(
      `API key permanently deleted: ${temp}`,
    );
    expect((await encrata('keys', 'ls')).stdout).not.toContain(temp);

    const limit = await encrata('keys', 'limit', id, '--credits', '5000');
    expect(limit.code).toBe(1);
    expect(limit.stderr).toMatch(/billing/i);
  });
});
