import type { SecretBox, SecretResolver } from '../../core/ports.ts';
import { secretContext } from '../../core/records.ts';

const MAX_ENTRIES = 1000;

/**
 * Decrypted webhook secrets, cached per container (keyed by the ciphertext, so a changed secret
 * is never served stale), bounded in size.
 */
export function cachedSecretResolver(box: SecretBox): SecretResolver {
  const cache = new Map<string, string>();
  return async (webhook) => {
    const key = `${webhook.workspace_id}/${webhook.id}/${webhook.secret_ciphertext}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const secret = await box.decrypt(
      webhook.secret_ciphertext,
      secretContext(webhook.workspace_id, webhook.id),
    );
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, secret);
    return secret;
  };
}
