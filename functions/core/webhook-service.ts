import type { Caller } from './api-keys.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { generateUuid, generateWebhookSecret, webhookRef } from './ids.ts';
import type { SecretBox, WebhookStore } from './ports.ts';
import { secretContext } from './records.ts';
import { checkUrlTarget } from './url-policy.ts';
import {
  type CreateWebhookIn,
  toWebhookOut,
  type UpdateWebhookIn,
  type WebhookOut,
  type WebhookRecord,
} from './webhooks.ts';

export interface WebhookServicePorts {
  webhooks: WebhookStore;
  secretBox: SecretBox;
}

export interface WebhookPolicy {
  maxPerWorkspace: number;
  allowPrivateTargets: boolean;
}

function checkTarget(url: string, policy: WebhookPolicy): void {
  const reason = checkUrlTarget(new URL(url), policy.allowPrivateTargets);
  if (reason) throw new ValidationError('Invalid webhook URL', [{ path: 'url', message: reason }]);
}

/** Newest first; ties (same millisecond) broken by id so the order is stable. */
export function sortNewestFirst<T extends { created_at: string; id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}

export async function listWebhooks(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
): Promise<WebhookOut[]> {
  return sortNewestFirst(await ports.webhooks.list(caller.workspaceId)).map(toWebhookOut);
}

/** A webhook of the caller's workspace; any other id (another workspace's included) is a 404. */
export async function requireWebhook(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
  id: string,
): Promise<WebhookRecord> {
  const record = await ports.webhooks.get(caller.workspaceId, id);
  if (!record) throw new NotFoundError('Webhook not found');
  return record;
}

export async function createWebhook(
  ports: WebhookServicePorts,
  caller: Caller,
  input: CreateWebhookIn,
  policy: WebhookPolicy,
  now: Date,
): Promise<WebhookOut & { secret: string }> {
  checkTarget(input.url, policy);
  // Delivery ids name their webhook by a short ref (ids.ts): no two webhooks of a workspace share one.
  const taken = new Set(
    (await ports.webhooks.list(caller.workspaceId)).map((w) => webhookRef(w.workspace_id, w.id)),
  );
  let id = generateUuid();
  while (taken.has(webhookRef(caller.workspaceId, id))) id = generateUuid();
  const secret = generateWebhookSecret();
  const at = now.toISOString();
  const record: WebhookRecord = {
    workspace_id: caller.workspaceId,
    id,
    url: input.url,
    events: input.events,
    is_active: true,
    description: input.description ?? '',
    secret_ciphertext: await ports.secretBox.encrypt(secret, secretContext(caller.workspaceId, id)),
    created_by: caller.keyId,
    created_at: at,
    updated_at: at,
  };
  await ports.webhooks.create(record, policy.maxPerWorkspace);
  return { ...toWebhookOut(record), secret };
}

/** Partial update: `url` always, any other field only when present and not null. */
export async function updateWebhook(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
  input: UpdateWebhookIn,
  policy: WebhookPolicy,
  now: Date,
): Promise<void> {
  const current = await requireWebhook(ports, caller, input.id);
  checkTarget(input.url, policy);
  const isActive = input.is_active ?? current.is_active;
  const next: WebhookRecord = {
    ...current,
    url: input.url,
    events: input.events ?? current.events,
    description: input.description ?? current.description,
    is_active: isActive,
    updated_at: now.toISOString(),
    ...(current.is_active && !isActive ? { paused_at: now.toISOString() } : {}),
  };
  if (!(await ports.webhooks.update(next)))
    throw new ConflictError('The webhook was deleted while being updated');
}

export async function deleteWebhook(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
  id: string,
): Promise<void> {
  if (!(await ports.webhooks.delete(caller.workspaceId, id))) throw new NotFoundError('Webhook not found');
}
