import type { SecretResolver } from './ports.ts';
import { customHeadersSchema, headersContext, secretContext } from './records.ts';

/** What a webhook signs and sends with: as the table holds it, or as a delivery message carries it. */
export interface SigningTarget {
  workspace_id: string;
  id: string;
  secret_ciphertext: string;
  previous_secret_ciphertext?: string;
  previous_expires_at?: string;
  headers_ciphertext?: string;
}

/**
 * The secret, the rotated-out secret while it still signs (until `previous_expires_at`), and the
 * custom headers of a webhook, decrypted.
 */
export async function signingMaterial(
  open: SecretResolver,
  target: SigningTarget,
  nowMs: number,
): Promise<{ secret: string; previousSecret?: string; custom: Record<string, string> }> {
  const context = secretContext(target.workspace_id, target.id);
  const stillSigning =
    target.previous_secret_ciphertext !== undefined &&
    target.previous_expires_at !== undefined &&
    Date.parse(target.previous_expires_at) > nowMs;
  const [secret, previousSecret, headers] = await Promise.all([
    open(target.secret_ciphertext, context),
    stillSigning ? open(target.previous_secret_ciphertext as string, context) : Promise.resolve(undefined),
    target.headers_ciphertext
      ? open(target.headers_ciphertext, headersContext(target.workspace_id, target.id))
      : Promise.resolve(undefined),
  ]);
  return {
    secret,
    ...(previousSecret === undefined ? {} : { previousSecret }),
    custom: headers ? customHeadersSchema.parse(JSON.parse(headers)) : {},
  };
}
