import { accessSync, chmodSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalConfigError } from './config.ts';

/**
 * Ensures the data directory exists, is its owner's alone (0700: it holds the dev API key, the
 * secret-encryption key and every stored webhook) and is writable, or says so in one sentence.
 * Files with secrets in it are written 0600 besides.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // A directory made before (by an older version, or by hand) may be open to others: close it, if ours.
    const stat = statSync(dataDir);
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(dataDir, 0o700);
    accessSync(dataDir, constants.W_OK);
    const probe = join(dataDir, '.write-test');
    writeFileSync(probe, '', { mode: 0o600 });
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new LocalConfigError(`ENCRATA_DATA_DIR "${dataDir}" is not a writable directory (${code}).`);
  }
}
