import * as z from 'zod';
import { FORBIDDEN_TEXT } from './api-keys.ts';
import { eventTypeSchema } from './events.ts';
import { webhookIdSchema as webhookIdKind } from './id-schemas.ts';
import type { WebhookRecord } from './records.ts';

/** Defaults and bounds of the webhook object (contract §2). */
export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

/** A webhook id: a UUID (core/id-schemas.ts, the one schema per kind of id). */
export const webhookId = webhookIdKind;

/** `{"id": …}`: the body that names one webhook. */
export const webhookIdSchema = z.object({ id: webhookId });

/** An HTTPS URL of at most 2048 characters, with a host, without a user:password part or a #fragment. */
export const webhookUrlSchema = z
  .string({ error: 'url is required and must be a string' })
  .trim()
  .min(1, 'url is required')
  .max(MAX_URL_LENGTH, `url must be at most ${MAX_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'url must be an absolute URL' });
      return;
    }
    if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'url must use https' });
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'url must not contain a user name or password' });
    }
    if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'url must have a host' });
    // A fragment is never sent over HTTP, so a URL with one cannot mean what it says ("#" alone too).
    if (value.includes('#')) ctx.addIssue({ code: 'custom', message: 'url must not contain a #fragment' });
  });

/** At least one catalogue event; duplicates are removed, first occurrence wins. */
export const webhookEventsSchema = z
  .array(eventTypeSchema, { error: 'events must be an array of event types' })
  .min(1, 'events must contain at least one event type')
  .transform((events) => [...new Set(events)]);

const descriptionSchema = z
  .string({ error: 'description must be a string' })
  .max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`)
  .refine(
    (text) => !FORBIDDEN_TEXT.test(text.replace(/[\n\t]/g, ' ')),
    'description must not contain control characters or non-characters',
  );

export const MAX_CUSTOM_HEADERS = 10;
export const MAX_HEADER_VALUE_BYTES = 1024;
/** An HTTP token (RFC 9110 §5.6.2). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Names a webhook may not set: the delivery's own headers, and what only the transport may send. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith('x-encrata-') || lower.startsWith('webhook-');
}

/**
 * Custom headers sent with every delivery (contract §2): at most 10, names HTTP tokens and not
 * reserved (case-insensitively unique), values up to 1 KiB of visible ASCII.
 */
export const webhookHeadersSchema = z
  .record(z.string(), z.string({ error: 'header values must be strings' }), {
    error: 'headers must be an object of header names to values',
  })
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_CUSTOM_HEADERS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_CUSTOM_HEADERS} headers` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const value = headers[name] ?? '';
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'header names must be HTTP tokens' });
      } else if (isReservedHeader(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} is set by the service and cannot be replaced`,
        });
      } else if (seen.has(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'header names must be unique (ignoring case)',
        });
      }
      seen.add(name.toLowerCase());
      if (!/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'header values must be visible ASCII, not empty',
        });
      } else if (Buffer.byteLength(value) > MAX_HEADER_VALUE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `header values must be at most ${MAX_HEADER_VALUE_BYTES} bytes`,
        });
      }
    }
  });

/** Most deliveries per second to the webhook's URL (contract §2). */
export const webhookRateLimitSchema = z
  .number({ error: 'rate_limit must be a whole number from 1 to 1000, or null' })
  .int('rate_limit must be a whole number from 1 to 1000, or null')
  .min(1, 'rate_limit must be a whole number from 1 to 1000, or null')
  .max(1000, 'rate_limit must be a whole number from 1 to 1000, or null');

export const createWebhookSchema = z.object({
  url: webhookUrlSchema,
  events: webhookEventsSchema,
  description: descriptionSchema.nullish(),
  headers: webhookHeadersSchema.nullish(),
  rate_limit: webhookRateLimitSchema.nullish(),
});
export type CreateWebhookIn = z.infer<typeof createWebhookSchema>;

/** Update is partial: `id` and `url` are required, any other field absent or null keeps its value. */
export const updateWebhookSchema = z.object({
  id: webhookId,
  url: webhookUrlSchema,
  events: webhookEventsSchema.nullish(),
  description: descriptionSchema.nullish(),
  is_active: z.boolean({ error: 'is_active must be a boolean' }).nullish(),
  /** Absent or null keeps them; `{}` clears them. */
  headers: webhookHeadersSchema.nullish(),
  /** Absent or null keeps it; `0` removes the limit. */
  rate_limit: z
    .number({ error: 'rate_limit must be a whole number from 1 to 1000, 0 to remove the limit, or null' })
    .int('rate_limit must be a whole number from 1 to 1000, 0 to remove the limit, or null')
    .min(0, 'rate_limit must be a whole number from 1 to 1000, 0 to remove the limit, or null')
    .max(1000, 'rate_limit must be a whole number from 1 to 1000, 0 to remove the limit, or null')
    .nullish(),
});
export type UpdateWebhookIn = z.infer<typeof updateWebhookSchema>;

/** `POST /api/webhooks/rotate-secret`. */
export const rotateSecretSchema = z.object({
  id: webhookId,
  previous_expires_in_hours: z
    .number({ error: 'previous_expires_in_hours must be a number of hours from 0 to 72' })
    .min(0, 'previous_expires_in_hours must be a number of hours from 0 to 72')
    .max(72, 'previous_expires_in_hours must be a number of hours from 0 to 72')
    .nullish(),
});
export type RotateSecretIn = z.infer<typeof rotateSecretSchema>;

export const rotateSecretOutSchema = z.object({ secret: z.string(), previous_expires_at: z.string() });

export type { WebhookRecord } from './records.ts';

/** The webhook object as the API returns it: never the secret, never a header's value. */
export const webhookOutSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  is_active: z.boolean(),
  description: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Custom header names, each value shown as `***`. */
  headers: z.record(z.string(), z.literal('***')),
  rate_limit: z.number().int().nullable(),
  disabled_reason: z.enum(['failing']).nullable(),
});
export type WebhookOut = z.infer<typeof webhookOutSchema>;

/** The create response: the only place the secret appears. */
export const webhookCreatedOutSchema = webhookOutSchema.extend({ secret: z.string() });

export function toWebhookOut(record: WebhookRecord): WebhookOut {
  return webhookOutSchema.parse({
    id: record.id,
    workspace_id: record.workspace_id,
    url: record.url,
    events: record.events,
    is_active: record.is_active,
    description: record.description,
    created_by: record.created_by,
    created_at: record.created_at,
    updated_at: record.updated_at,
    headers: Object.fromEntries((record.header_names ?? []).map((name) => [name, '***'])),
    rate_limit: record.rate_limit ?? null,
    disabled_reason: record.disabled_reason ?? null,
  });
}
