import * as z from 'zod';
import { apiKeyIdSchema } from './id-schemas.ts';
import type { ApiKeyRecord } from './records.ts';

export const API_KEY_NAME_MAX = 100;

/** Names and descriptions: visible text, no control or non-characters (they break logs and terminals). */
export const FORBIDDEN_TEXT = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

const nameSchema = z
  .string({ error: 'name is required and must be a string' })
  .trim()
  .min(1, 'name is required')
  .max(API_KEY_NAME_MAX, `name must be at most ${API_KEY_NAME_MAX} characters`)
  .refine((name) => !FORBIDDEN_TEXT.test(name), 'name must not contain control characters or non-characters');

/** An API key id: a UUID (core/id-schemas.ts). */
export { apiKeyIdSchema } from './id-schemas.ts';

export const createApiKeySchema = z.object({ name: nameSchema });

export const renameApiKeySchema = z.object({ id: apiKeyIdSchema, name: nameSchema });

/** `DELETE /api/keys?id=[&permanent=true]` (the id may come in a JSON body instead). */
export const revokeApiKeyQuerySchema = z.object({
  id: apiKeyIdSchema.optional(),
  permanent: z.enum(['true', 'false'], { error: 'permanent must be true or false' }).optional(),
});
export const apiKeyIdBodySchema = z.object({ id: apiKeyIdSchema.optional() });

/** `PATCH /api/keys?id=&action=disable|enable`. */
export const apiKeyStatusQuerySchema = z.object({
  id: apiKeyIdSchema,
  action: z.enum(['disable', 'enable'], { error: 'action must be disable or enable' }),
});

/** `POST /api/keys/limit` (Encrata's CLI sends it; credit limits are not this service's). */
export const apiKeyLimitSchema = z.object({
  id: apiKeyIdSchema.optional(),
  credit_limit: z.number().int().nonnegative().nullable().optional(),
});

export type { ApiKeyRecord } from './records.ts';

/** A key in lists (contract §3), with the fields Encrata's CLI reads. */
export const apiKeyOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  key_preview: z.string(),
  key_prefix: z.string(),
  created_at: z.string(),
  last_used: z.string().nullable(),
  revoked_at: z.string().nullable(),
  disabled_at: z.string().nullable(),
  is_active: z.boolean(),
  disabled_by_admin: z.boolean(),
  credit_limit: z.null(),
});
export type ApiKeyOut = z.infer<typeof apiKeyOutSchema>;

export const apiKeyCreatedOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  key: z.string(),
  key_prefix: z.string(),
  created_at: z.string(),
});

export const messageOutSchema = (message: string) => z.object({ message: z.literal(message) });

/** Who is calling: established from the API key, never from the request. */
export interface Caller {
  workspaceId: string;
  keyId: string;
  /** Set when the credential was a dashboard session minted from the key (core/sessions.ts). */
  sessionId?: string;
}

/** How many characters of a key its prefix shows (`enc_live_` and three more). */
export const KEY_PREFIX_LENGTH = 12;

/** The stored form of a freshly issued key. */
export function buildApiKeyRecord(options: {
  key: string;
  keyHash: string;
  id: string;
  workspaceId: string;
  name: string;
  createdAt: string;
}): ApiKeyRecord {
  return {
    key_hash: options.keyHash,
    id: options.id,
    workspace_id: options.workspaceId,
    name: options.name,
    key_preview: `...${options.key.slice(-4)}`,
    key_prefix: options.key.slice(0, KEY_PREFIX_LENGTH),
    created_at: options.createdAt,
    last_used: null,
    revoked_at: null,
  };
}

/** Whether a key is refused: revoked, or disabled. */
export function isKeyInactive(record: ApiKeyRecord): boolean {
  return record.revoked_at !== null || Boolean(record.disabled_at);
}

export function toApiKeyOut(record: ApiKeyRecord): ApiKeyOut {
  return {
    id: record.id,
    name: record.name,
    key_preview: record.key_preview,
    // Keys made before the prefix was kept show the part every key shares.
    key_prefix: record.key_prefix ?? 'enc_live_',
    created_at: record.created_at,
    last_used: record.last_used,
    revoked_at: record.revoked_at,
    disabled_at: record.disabled_at ?? null,
    is_active: !isKeyInactive(record),
    // Admin-disabling is Encrata's account tooling, not this service's.
    disabled_by_admin: false,
    // Credit limits belong to Encrata's billing.
    credit_limit: null,
  };
}
