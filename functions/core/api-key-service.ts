import { type ApiKeyRecord, buildApiKeyRecord, type Caller, isKeyInactive } from './api-keys.ts';
import { ConflictError, NotFoundError, RateLimitedError } from './errors.ts';
import { generateApiKey, generateUuid, hashApiKey } from './ids.ts';
import type { ApiKeyStore, EventPublisher, RateLimiter, RateLimitRule } from './ports.ts';
import { buildSystemEventMessage } from './publish.ts';
import { sortNewestFirst } from './webhook-service.ts';

export interface ApiKeyServicePorts {
  apiKeys: ApiKeyStore;
  publisher: EventPublisher;
}

/** Why a key stopped working, as `apikey.revoked` tells it (its `reason`). */
export type RevokeReason = 'revoked' | 'deleted' | 'disabled';

async function publishRevoked(
  ports: ApiKeyServicePorts,
  record: ApiKeyRecord,
  reason: RevokeReason,
  at: string,
  now: Date,
): Promise<void> {
  await ports.publisher.publish(
    buildSystemEventMessage(
      {
        workspaceId: record.workspace_id,
        event: 'apikey.revoked',
        // One id per stop (a retry of the same request publishes the same id: delivered once).
        id: `apikey.revoked:${record.id}:${reason}:${at}`,
        data: {
          key_id: record.id,
          name: record.name,
          key_preview: record.key_preview,
          revoked_at: at,
          reason,
        },
      },
      now,
    ),
  );
}

/**
 * Issues a key for a workspace (API and operator command) and publishes `apikey.created`. If it
 * cannot be stored or the event cannot be published, the key is revoked and deleted again and the
 * error is thrown: a key nobody was told about must not stay (usable or listed), and the caller (who
 * never saw it) simply tries again.
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
  try {
    await ports.apiKeys.create(record);
  } catch (error) {
    // Its write may have landed after all: a key nobody saw must not stay behind.
    await ports.apiKeys.remove(record).catch(() => undefined);
    throw error;
  }
  try {
    await ports.publisher.publish(
      buildSystemEventMessage(
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
    // Refused at once, then gone: nobody saw it, so neither a usable nor a stray revoked key stays.
    await ports.apiKeys.revoke(record.key_hash, options.now.toISOString(), 'revoked').catch(() => undefined);
    await ports.apiKeys.remove(record).catch(() => undefined);
    throw error;
  }
  return { record, key };
}

/**
 * `POST /api/keys`: a key for the caller's workspace, within the workspace's budget of key creations
 * (otherwise anyone holding one key could mint keys to multiply the per-key rate limit). Refused
 * creations are not counted.
 */
export async function createApiKey(
  ports: ApiKeyServicePorts & { rateLimiter: RateLimiter },
  caller: Caller,
  options: { name: string; now: Date; rule: RateLimitRule },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const state = await ports.rateLimiter.hit(
    `key-creations:${caller.workspaceId}`,
    options.now.getTime(),
    options.rule,
  );
  if (state.exceeded) {
    throw new RateLimitedError(
      state.retryAfterSeconds,
      `A workspace can create at most ${options.rule.limit} API keys per hour; retry later`,
    );
  }
  return issueApiKey(ports, { workspaceId: caller.workspaceId, name: options.name, now: options.now });
}

export async function listApiKeys(
  ports: Pick<ApiKeyServicePorts, 'apiKeys'>,
  caller: Caller,
): Promise<ApiKeyRecord[]> {
  return sortNewestFirst(await ports.apiKeys.listByWorkspace(caller.workspaceId));
}

/** A key of the caller's workspace; any other id (another workspace's included) is a 404. */
async function requireKey(ports: Pick<ApiKeyServicePorts, 'apiKeys'>, caller: Caller, id: string) {
  const record = await ports.apiKeys.findById(caller.workspaceId, id);
  if (!record) throw new NotFoundError('API key not found');
  return record;
}

/**
 * Revokes a key of the caller's workspace (refused from the next request on, for good). Idempotent:
 * a retry finds it revoked and publishes the same event again (same id, so delivered once), which
 * gets the event out when the first call's publish failed.
 */
export async function revokeApiKey(
  ports: ApiKeyServicePorts,
  caller: Caller,
  id: string,
  now: Date,
): Promise<void> {
  const existing = await requireKey(ports, caller, id);
  const revoked = (await ports.apiKeys.revoke(existing.key_hash, now.toISOString(), 'revoked')) ?? existing;
  // Half-way through a deletion (which reported it): the delete's retry finishes that job.
  if (revoked.revoked_reason === 'deleted') return;
  await publishRevoked(ports, revoked, 'revoked', revoked.revoked_at ?? now.toISOString(), now);
}

/**
 * Deletes a key for good: revoked at once, its stop reported when it was still active, then gone
 * from the list. A retry after a failure part-way finishes the job (and publishes the same event).
 */
export async function deleteApiKey(
  ports: ApiKeyServicePorts,
  caller: Caller,
  id: string,
  now: Date,
): Promise<void> {
  const existing = await requireKey(ports, caller, id);
  const wasActive = !isKeyInactive(existing) || existing.revoked_reason === 'deleted';
  const revoked = (await ports.apiKeys.revoke(existing.key_hash, now.toISOString(), 'deleted')) ?? existing;
  if (wasActive)
    await publishRevoked(ports, revoked, 'deleted', revoked.revoked_at ?? now.toISOString(), now);
  await ports.apiKeys.remove(existing);
}

export async function renameApiKey(
  ports: Pick<ApiKeyServicePorts, 'apiKeys'>,
  caller: Caller,
  id: string,
  name: string,
): Promise<void> {
  const existing = await requireKey(ports, caller, id);
  if (!(await ports.apiKeys.rename(existing.key_hash, name))) throw new NotFoundError('API key not found');
}

/**
 * Disables a key (refused until enabled again; `apikey.revoked` with reason `disabled`) or enables a
 * disabled one. A revoked key can be neither: 409.
 */
export async function setApiKeyStatus(
  ports: ApiKeyServicePorts,
  caller: Caller,
  id: string,
  action: 'disable' | 'enable',
  now: Date,
): Promise<void> {
  const existing = await requireKey(ports, caller, id);
  if (existing.revoked_at !== null) {
    throw new ConflictError(`This API key is revoked and cannot be ${action}d; create a new key instead`);
  }
  const result = await ports.apiKeys.setDisabled(
    existing.key_hash,
    action === 'disable' ? now.toISOString() : null,
  );
  if (result === 'revoked') {
    throw new ConflictError(`This API key is revoked and cannot be ${action}d; create a new key instead`);
  }
  if (!result) throw new NotFoundError('API key not found');
  if (action === 'disable' && result.disabled_at) {
    await publishRevoked(ports, result, 'disabled', result.disabled_at, now);
  }
}
