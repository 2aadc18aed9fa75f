import { buildApiKeyRecord, isKeyInactive } from '../functions/core/api-keys.ts';
import { generateUuid, hashApiKey } from '../functions/core/ids.ts';
import { apiKeyStore } from '../functions/shared/wiring.ts';

/**
 * Makes sure `key` is a live API key of `workspaceId` (the local stack's seeded dev key). Returns
 * false when the key exists but cannot serve: revoked, or another workspace's.
 */
export async function ensureApiKey(options: {
  key: string;
  workspaceId: string;
  name: string;
}): Promise<boolean> {
  const apiKeys = apiKeyStore();
  const keyHash = hashApiKey(options.key);
  const existing = await apiKeys.findByHash(keyHash);
  if (existing) return !isKeyInactive(existing) && existing.workspace_id === options.workspaceId;
  await apiKeys.create(
    buildApiKeyRecord({
      key: options.key,
      keyHash,
      id: generateUuid(),
      workspaceId: options.workspaceId,
      name: options.name,
      createdAt: new Date().toISOString(),
    }),
  );
  return true;
}
