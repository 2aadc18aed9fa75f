import * as z from 'zod';
import { eventTypeSchema } from './events.ts';
import type { WebhookRecord } from './records.ts';

/** Defaults and bounds of the webhook object (contract §2). */
export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

/** A webhook id: a UUID (ids are made by the service; anything else cannot be one). */
export const webhookId = z
  .string({ error: 'id is required' })
  .min(1, { error: 'id is required', abort: true })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a webhook id (a UUID)');

/** `{"id": …}`: the body that names one webhook. */
export const webhookIdSchema = z.object({ id: webhookId });

/** An HTTPS URL of at most 2048 characters, with a host and without a user:password part. */
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
  });

/** At least one catalogue event; duplicates are removed, first occurrence wins. */
export const webhookEventsSchema = z
  .array(eventTypeSchema, { error: 'events must be an array of event types' })
  .min(1, 'events must contain at least one event type')
  .transform((events) => [...new Set(events)]);

const descriptionSchema = z
  .string({ error: 'description must be a string' })
  .max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`);

export const createWebhookSchema = z.object({
  url: webhookUrlSchema,
  events: webhookEventsSchema,
  description: descriptionSchema.nullish(),
});
export type CreateWebhookIn = z.infer<typeof createWebhookSchema>;

/** Update is partial: `id` and `url` are required, any other field absent or null keeps its value. */
export const updateWebhookSchema = z.object({
  id: webhookId,
  url: webhookUrlSchema,
  events: webhookEventsSchema.nullish(),
  description: descriptionSchema.nullish(),
  is_active: z.boolean({ error: 'is_active must be a boolean' }).nullish(),
});
export type UpdateWebhookIn = z.infer<typeof updateWebhookSchema>;

export type { WebhookRecord } from './records.ts';

/** The webhook object as the API returns it: never the secret. */
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
});
export type WebhookOut = z.infer<typeof webhookOutSchema>;

/** The create response: the only place the secret appears. */
export const webhookCreatedOutSchema = webhookOutSchema.extend({ secret: z.string() });

export function toWebhookOut(record: WebhookRecord): WebhookOut {
  return webhookOutSchema.parse(record);
}
