/**
 * The key that encrypts webhook secrets at rest: from Secrets Manager on AWS, from local config in
 * the local stack. Its own module, so that only the functions that encrypt or decrypt bundle the
 * Secrets Manager client.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AesGcmSecretBox, secretsManagerKey } from '../adapters/secrets/secret-box.ts';
import { config } from './config.ts';
import { instrumented } from './wiring.ts';

let box: AesGcmSecretBox | undefined;

export function secretBox(): AesGcmSecretBox {
  if (box) return box;
  const key = config().secretKey;
  box = new AesGcmSecretBox(
    'hex' in key
      ? async () => key.hex
      : secretsManagerKey(instrumented(new SecretsManagerClient({ maxAttempts: 3 })), key.arn),
  );
  return box;
}
