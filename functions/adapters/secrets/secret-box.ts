import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretBox } from '../../core/ports.ts';

const VERSION = 'v1';

/**
 * AES-256-GCM for webhook secrets at rest: `v1.<iv>.<tag>.<ciphertext>` (base64url), with the
 * webhook's identity as additional authenticated data, so a ciphertext cannot be moved to another
 * webhook. The key is loaded lazily, once per container, from Secrets Manager or local config.
 */
export class AesGcmSecretBox implements SecretBox {
  private key: Promise<Buffer> | undefined;
  private readonly loadKey: () => Promise<string>;
  constructor(loadKey: () => Promise<string>) {
    this.loadKey = loadKey;
  }

  private getKey(): Promise<Buffer> {
    this.key ??= this.loadKey().then((hex) => {
      const key = Buffer.from(hex.trim(), 'hex');
      if (key.length !== 32)
        throw new Error('the secret-encryption key must be 32 bytes (64 hex characters)');
      return key;
    });
    // A failed load is not cached: the next call tries again.
    this.key.catch(() => {
      this.key = undefined;
    });
    return this.key;
  }

  async encrypt(plaintext: string, context: string): Promise<string> {
    const key = await this.getKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async decrypt(sealed: string, context: string): Promise<string> {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new Error('unrecognised secret ciphertext format');
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error('malformed secret ciphertext');
    const key = await this.getKey();
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

/** Reads the key from Secrets Manager (the deployed stack). */
export function secretsManagerKey(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  return async () => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!result.SecretString) throw new Error('the secret-encryption key secret has no string value');
    return result.SecretString;
  };
}
