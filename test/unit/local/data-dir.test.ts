import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataDir } from '../../../local/data-dir.ts';

/** The data directory holds the dev key, the secret-encryption key and every webhook: the owner's alone. */
describe('prepareDataDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'encrata-data-dir-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const modeOf = (path: string) => statSync(path).mode & 0o777;

  it('creates the directory (and its parents) readable by its owner only', () => {
    const dir = join(root, 'nested', 'data');
    prepareDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('closes an existing directory that others could read', () => {
    const dir = join(root, 'data');
    prepareDataDir(dir);
    chmodSync(dir, 0o755);
    prepareDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });
});
