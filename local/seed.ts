import { buildApiKeyRecord } from '../functions/core/api-keys.ts';
import { generateUuid, hashApiKey } from '../functions/core/ids.ts';
import { dependencies } from '../functions/shared/wiring.ts';

/** Makes sure `key` is a live API key of `workspaceId` (the local stack's seeded dev key). */
export async function ensureApiKey(options: {
  key: string;
  workspaceId: string;
  name: string;
}): Promise<void> {
  const { apiKeys } = dependencies();
  const keyHash = hashApiKey(options.key);
  if (await apiKeys.findByHash(keyHash)) return;
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
}
