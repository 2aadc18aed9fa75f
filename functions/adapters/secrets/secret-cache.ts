import type { SecretBox, SecretResolver } from '../../core/ports.ts';

const MAX_ENTRIES = 1000;

/**
 * Decrypted webhook secrets and headers, cached per container (keyed by ciphertext and context, so
 * a changed secret is never served stale), bounded in size.
 */
export function cachedSecretResolver(box: SecretBox): SecretResolver {
  const cache = new Map<string, string>();
  return async (ciphertext, context) => {
    const key = `${context}\n${ciphertext}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const plaintext = await box.decrypt(ciphertext, context);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, plaintext);
    return plaintext;
  };
}
