import type { Caller } from './api-keys.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { generateUuid, generateWebhookSecret, webhookRef } from './ids.ts';
import type { SecretBox, WebhookStore } from './ports.ts';
import { headersContext, secretContext } from './records.ts';
import { checkUrlTarget } from './url-policy.ts';
import {
  type CreateWebhookIn,
  type RotateSecretIn,
  toWebhookOut,
  type UpdateWebhookIn,
  type WebhookOut,
  type WebhookRecord,
} from './webhooks.ts';

export interface WebhookServicePorts {
  webhooks: WebhookStore;
  secretBox: SecretBox;
}

/** How long a rotated-out secret keeps signing by default (contract §3). */
export const DEFAULT_PREVIOUS_SECRET_HOURS = 24;

export interface WebhookPolicy {
  maxPerWorkspace: number;
  allowPrivateTargets: boolean;
  /** Running as the local stack: a refused private target says which switch allows it. @default false */
  localStack?: boolean;
}

function checkTarget(url: string, policy: WebhookPolicy): void {
  const reason = checkUrlTarget(new URL(url), policy.allowPrivateTargets, policy.localStack);
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
  ports: { webhooks: Pick<WebhookStore, 'get'> },
  caller: Caller,
  id: string,
): Promise<WebhookRecord> {
  const record = await ports.webhooks.get(caller.workspaceId, id);
  if (!record) throw new NotFoundError('Webhook not found');
  return record;
}

/** Encrypts a webhook's custom headers (one JSON object), or nothing when there are none. */
async function sealHeaders(
  box: SecretBox,
  workspaceId: string,
  id: string,
  headers: Record<string, string>,
): Promise<Pick<WebhookRecord, 'headers_ciphertext' | 'header_names'>> {
  const names = Object.keys(headers);
  if (names.length === 0) return { headers_ciphertext: undefined, header_names: undefined };
  return {
    headers_ciphertext: await box.encrypt(JSON.stringify(headers), headersContext(workspaceId, id)),
    header_names: names,
  };
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
    ...(await sealHeaders(ports.secretBox, caller.workspaceId, id, input.headers ?? {})),
    rate_limit: input.rate_limit ?? null,
    created_by: caller.keyId,
    created_at: at,
    updated_at: at,
    version: 1,
  };
  await ports.webhooks.create(record, policy.maxPerWorkspace);
  return { ...toWebhookOut(record), secret };
}

/**
 * Applies `change` to a webhook read afresh, written only if nobody wrote it meanwhile (its
 * version); on a conflict it is read and applied again (a few times), so no change is lost.
 */
async function changeWebhook(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
  id: string,
  change: (current: WebhookRecord) => Promise<WebhookRecord> | WebhookRecord,
): Promise<WebhookRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await requireWebhook(ports, caller, id);
    const next = await change(current);
    const result = await ports.webhooks.update(
      { ...next, version: (current.version ?? 0) + 1 },
      current.version,
    );
    if (result === 'updated') return next;
    if (result === 'missing') throw new NotFoundError('Webhook not found');
  }
  throw new ConflictError('The webhook is being changed by someone else; try again');
}

/**
 * Partial update: `url` always, any other field only when present and not null (`headers: {}`
 * clears them). Pausing records when; enabling a webhook clears why it was disabled and its
 * failing clock.
 */
export async function updateWebhook(
  ports: WebhookServicePorts,
  caller: Caller,
  input: UpdateWebhookIn,
  policy: WebhookPolicy,
  now: Date,
): Promise<void> {
  checkTarget(input.url, policy);
  await changeWebhook(ports, caller, input.id, async (current) => {
    const isActive = input.is_active ?? current.is_active;
    const next: WebhookRecord = {
      ...current,
      url: input.url,
      events: input.events ?? current.events,
      description: input.description ?? current.description,
      is_active: isActive,
      rate_limit: input.rate_limit === 0 ? null : (input.rate_limit ?? current.rate_limit ?? null),
      updated_at: now.toISOString(),
      ...(input.headers
        ? await sealHeaders(ports.secretBox, current.workspace_id, current.id, input.headers)
        : {}),
    };
    if (current.is_active && !isActive) next.paused_at = now.toISOString();
    if (!current.is_active && isActive) {
      next.disabled_reason = null;
      next.failing_since = undefined;
    }
    return next;
  });
}

/**
 * A new signing secret, shown only here. The one it replaces keeps signing until
 * `previous_expires_at` (contract §5); 0 hours switches at once.
 */
export async function rotateSecret(
  ports: WebhookServicePorts,
  caller: Caller,
  input: RotateSecretIn,
  now: Date,
): Promise<{ secret: string; previous_expires_at: string }> {
  const secret = generateWebhookSecret();
  const hours = input.previous_expires_in_hours ?? DEFAULT_PREVIOUS_SECRET_HOURS;
  const previousExpiresAt = new Date(now.getTime() + hours * 3_600_000).toISOString();
  await changeWebhook(ports, caller, input.id, async (current) => ({
    ...current,
    secret_ciphertext: await ports.secretBox.encrypt(secret, secretContext(current.workspace_id, current.id)),
    previous_secret_ciphertext: hours > 0 ? current.secret_ciphertext : undefined,
    previous_expires_at: hours > 0 ? previousExpiresAt : undefined,
    updated_at: now.toISOString(),
  }));
  return { secret, previous_expires_at: previousExpiresAt };
}

/** Why a webhook cannot take a resend or a recovery now (paused or disabled), or null. */
export function webhookRefusalForApi(webhook: WebhookRecord): string | null {
  if (webhook.is_active) return null;
  return webhook.disabled_reason === 'failing'
    ? 'The webhook was disabled because it kept failing; enable it (is_active: true) first'
    : 'The webhook is paused; resume it (is_active: true) first';
}

/** A webhook that can take deliveries now; a paused or disabled one is a 409 (resend, recover). */
export async function requireActiveWebhook(
  ports: { webhooks: Pick<WebhookStore, 'get'> },
  caller: Caller,
  id: string,
): Promise<WebhookRecord> {
  const webhook = await requireWebhook(ports, caller, id);
  const refusal = webhookRefusalForApi(webhook);
  if (refusal) throw new ConflictError(refusal);
  return webhook;
}

export async function deleteWebhook(
  ports: Pick<WebhookServicePorts, 'webhooks'>,
  caller: Caller,
  id: string,
): Promise<void> {
  if (!(await ports.webhooks.delete(caller.workspaceId, id))) throw new NotFoundError('Webhook not found');
}
