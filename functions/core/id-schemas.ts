import * as z from 'zod';
import { DELIVERY_ID_PATTERN, RECOVERY_ID_PATTERN } from './ids.ts';

/**
 * One schema per kind of id, used by every endpoint, body field and query parameter that takes one
 * (under every prefix). Every id is made by this service in a fixed ASCII shape, so anything else
 * cannot be one: it is a 400 before any store is asked — over-long or multi-byte strings never reach
 * DynamoDB, whose key limits (2048/1024 bytes) would turn them into 500s. A well-formed id of another
 * workspace goes on to the store and answers 404, exactly like a missing one (contract §1).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longer than any id of ours: checked first, so a huge value is refused without walking it. */
const MAX_ID_LENGTH = 64;

function idSchema(field: string, pattern: RegExp, what: string) {
  return z
    .string({ error: `${field} is required` })
    .min(1, { error: `${field} is required`, abort: true })
    .max(MAX_ID_LENGTH, { error: `must be ${what}`, abort: true })
    .regex(pattern, `must be ${what}`);
}

/**
 * A workspace id, as producers name it on events and the operator command takes it: letters, digits,
 * `_`, `.`, `-`, at most 128 (the API never takes one: the key decides the workspace).
 */
export const WORKSPACE_ID_PATTERN = /^[\w.-]{1,128}$/;
export const workspaceIdSchema = z
  .string({ error: 'workspace_id is required' })
  .min(1, { error: 'workspace_id is required', abort: true })
  .max(128, { error: 'workspace_id must be at most 128 characters', abort: true })
  .regex(WORKSPACE_ID_PATTERN, 'workspace_id must be letters, digits, _ . or -');

/** A webhook id: a UUID. */
export const webhookIdSchema = idSchema('id', UUID, 'a webhook id (a UUID)');

/** An API key id: a UUID. */
export const apiKeyIdSchema = idSchema('id', UUID, 'an API key id (a UUID)');

/** A delivery id: `dlv_` + 26 Crockford base32 characters. Also the deliveries list's `before` cursor. */
export const deliveryIdSchema = idSchema(
  'delivery_id',
  DELIVERY_ID_PATTERN,
  'a delivery id (dlv_ followed by 26 characters)',
);

/** A recovery id: `rcv_` + 26 Crockford base32 characters. */
export const recoveryIdSchema = idSchema(
  'recovery_id',
  RECOVERY_ID_PATTERN,
  'a recovery id (rcv_ followed by 26 characters)',
);
