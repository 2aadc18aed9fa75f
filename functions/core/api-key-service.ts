import { type ApiKeyRecord, buildApiKeyRecord, type Caller } from './api-keys.ts';
import { NotFoundError } from './errors.ts';
import { generateApiKey, generateUuid, hashApiKey } from './ids.ts';
import type { ApiKeyStore, EventPublisher } from './ports.ts';
import { buildEventMessage } from './publish.ts';
import { sortNewestFirst } from './webhook-service.ts';

export interface ApiKeyServicePorts {
  apiKeys: ApiKeyStore;
  publisher: EventPublisher;
}

/**
 * Issues a key for a workspace (API and operator command) and publishes `apikey.created`. If the
 * event cannot be published the key is revoked again and the error is thrown: a key nobody was
 * told about must not stay usable, and the caller (who never saw it) simply tries again.
 */
export async function issueApiKey(
  ports: ApiKeyServicePorts,
  options: { workspaceId: string; name: string; now: Date },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = generateApiKey();
  const record = buildApiKeyRecord({
    key,
    keyHash: hashApiKey(key),
    id: generateUuid(),
    workspaceId: options.workspaceId,
    name: options.name,
    createdAt: options.now.toISOString(),
  });
  await ports.apiKeys.create(record);
  try {
    await ports.publisher.publish(
      buildEventMessage(
        {
          workspaceId: record.workspace_id,
          event: 'apikey.created',
          id: `apikey.created:${record.id}`,
          data: { key_id: record.id, name: record.name, key_preview: record.key_preview },
        },
        options.now,
      ),
    );
  } catch (error) {
    await ports.apiKeys.revoke(record.key_hash, options.now.toISOString()).catch(() => undefined);
    throw error;
  }
  return { record, key };
}

export async function listApiKeys(
  ports: Pick<ApiKeyServicePorts, 'apiKeys'>,
  caller: Caller,
): Promise<ApiKeyRecord[]> {
  return sortNewestFirst(await ports.apiKeys.listByWorkspace(caller.workspaceId));
}

/**
 * Revokes a key of the caller's workspace (refused from the next request on). Idempotent, and the
 * event is published on every call (its id is fixed, so fan-out delivers it once): a client that
 * retries after a failed publish gets the event out.
 */
export async function revokeApiKey(
  ports: ApiKeyServicePorts,
  caller: Caller,
  id: string,
  now: Date,
): Promise<void> {
  const existing = await ports.apiKeys.findById(caller.workspaceId, id);
  if (!existing) throw new NotFoundError('API key not found');
  const revoked = (await ports.apiKeys.revoke(existing.key_hash, now.toISOString())) ?? existing;
  const revokedAt = revoked.revoked_at ?? now.toISOString();
  await ports.publisher.publish(
    buildEventMessage(
      {
        workspaceId: revoked.workspace_id,
        event: 'apikey.revoked',
        id: `apikey.revoked:${revoked.id}`,
        data: {
          key_id: revoked.id,
          name: revoked.name,
          key_preview: revoked.key_preview,
          revoked_at: revokedAt,
        },
      },
      now,
    ),
  );
}
