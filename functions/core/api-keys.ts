import * as z from 'zod';
import type { ApiKeyRecord } from './records.ts';

export const API_KEY_NAME_MAX = 100;

export const createApiKeySchema = z.object({
  name: z
    .string({ error: 'name is required and must be a string' })
    .trim()
    .min(1, 'name is required')
    .max(API_KEY_NAME_MAX, `name must be at most ${API_KEY_NAME_MAX} characters`),
});

export type { ApiKeyRecord } from './records.ts';

export const apiKeyOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  key_preview: z.string(),
  created_at: z.string(),
  last_used: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export const apiKeyCreatedOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  key: z.string(),
  created_at: z.string(),
});

/** Who is calling: established from the API key, never from the request. */
export interface Caller {
  workspaceId: string;
  keyId: string;
}

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
    created_at: options.createdAt,
    last_used: null,
    revoked_at: null,
  };
}
