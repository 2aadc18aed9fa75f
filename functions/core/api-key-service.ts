import { type ApiKeyRecord, buildApiKeyRecord, type Caller } from './api-keys.ts';
import { NotFoundError } from './errors.ts';
import { generateApiKey, generateUuid, hashApiKey } from './ids.ts';
import type { ApiKeyStore, EventPublisher } from './ports.ts';
import { buildEventMessage } from './publish.ts';
import { sortNewestFirst } from './webhook-service.ts';

export interface ApiKeyServicePorts {
  apiKeys: ApiKeyStore;
  publisher: EventPublisher;
  /** Told when an event could not be published (the key change itself stands). */
  onPublishError: (error: unknown, event: string) => void;
}

async function publishSafely(
  ports: ApiKeyServicePorts,
  publish: () => Promise<void>,
  event: string,
): Promise<void> {
  try {
    await publish();
  } catch (error) {
    ports.onPublishError(error, event);
  }
}

/** Issues a key for a workspace (API and operator command) and publishes `apikey.created`. */
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
  await publishSafely(
    ports,
    () =>
      ports.publisher.publish(
        buildEventMessage(
          {
            workspaceId: record.workspace_id,
            event: 'apikey.created',
            id: `apikey.created:${record.id}`,
            data: { key_id: record.id, name: record.name, key_preview: record.key_preview },
          },
          options.now,
        ),
      ),
    'apikey.created',
  );
  return { record, key };
}

export async function listApiKeys(
  ports: Pick<ApiKeyServicePorts, 'apiKeys'>,
  caller: Caller,
): Promise<ApiKeyRecord[]> {
  return sortNewestFirst(await ports.apiKeys.listByWorkspace(caller.workspaceId));
}

/** Revokes a key of the caller's workspace (refused from the next request on); idempotent. */
export async function revokeApiKey(
  ports: ApiKeyServicePorts,
  caller: Caller,
  id: string,
  now: Date,
): Promise<void> {
  const existing = await ports.apiKeys.findById(caller.workspaceId, id);
  if (!existing) throw new NotFoundError('API key not found');
  const revoked = await ports.apiKeys.revoke(existing.key_hash, now.toISOString());
  if (!revoked?.revoked_at) return; // already revoked: no second event
  const revokedAt = revoked.revoked_at;
  await publishSafely(
    ports,
    () =>
      ports.publisher.publish(
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
      ),
    'apikey.revoked',
  );
}
