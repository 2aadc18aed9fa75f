import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Certificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for 127.0.0.1, ::1 and localhost (its subject alternative names), valid
 * for a year. Used by
 * `npm run receiver` and the tests' HTTPS receivers; the local stack trusts the one in its data dir.
 */
export async function createLocalCertificate(): Promise<{ cert: string; key: string }> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  // A subject of its own: TLS finds a trusted certificate by its subject name, so two of these
  // trusted at once (NODE_EXTRA_CA_CERTS and the stack's own) must not share one.
  const subject = `Encrata local receiver ${randomBytes(6).toString('hex')}`;
  const pems = await generate([{ name: 'commonName', value: subject }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The local receiver's certificate under `<dataDir>/receiver/`, created on first use. */
export async function ensureReceiverCertificate(dataDir: string): Promise<Certificate> {
  const dir = join(dataDir, 'receiver');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { cert, key } = await createLocalCertificate();
    writeFileSync(keyFile, key, { mode: 0o600 });
    writeFileSync(certFile, cert);
  }
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
