import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import { attemptRow, decideAfterAttempt } from './attempt.ts';
import { newDeliveryState } from './deliveries.ts';
import {
  type EventType,
  eventCatalogue,
  eventTypeSchema,
  serializeEnvelope,
  TEST_EVENT_TYPE,
} from './events.ts';
import { newDeliveryId } from './ids.ts';
import type { DeliveryLog, SecretResolver, Sender, WebhookStore } from './ports.ts';
import { buildDeliveryHeaders, HEADERS } from './signing.ts';
import { signingMaterial } from './signing-material.ts';
import { requireWebhook } from './webhook-service.ts';
import { webhookId } from './webhooks.ts';

export const TEST_MESSAGE = 'This is a test webhook from Encrata';

/** `POST /api/webhooks/test`: the webhook, and beyond the contract an event type whose example to send. */
export const testWebhookInSchema = z.object({
  id: webhookId,
  event: eventTypeSchema.optional(),
});
export type TestWebhookIn = z.infer<typeof testWebhookInSchema>;

/**
 * Who asks: the API's own clients (`sent`), or Encrata's CLI (`/api/cli`, `/api/agent`), which sends
 * the webhook's first subscribed type with `"test": true` and reads `delivered` (contract §7).
 */
export type TestDialect = 'api' | 'cli';

/** The test endpoint's answer (contract §3); `delivery_id` is beyond it. */
export const testWebhookOutSchema = z.object({
  status: z.enum(['sent', 'delivered', 'failed']),
  url: z.string(),
  signature: z.string(),
  status_code: z.number().int().nullable(),
  response_body: z.string().nullable(),
  error: z.string().nullable(),
  delivery_id: z.string(),
});
export type TestWebhookOut = z.infer<typeof testWebhookOutSchema>;

export interface TestWebhookPorts {
  webhooks: WebhookStore;
  log: DeliveryLog;
  secrets: SecretResolver;
  sender: Sender;
}

/**
 * One synchronous attempt with the same signing, headers, timeout and URL rules as a real
 * delivery (paused webhooks included), recorded as a delivery of type `test`. Never retried.
 */
export async function sendTestWebhook(
  ports: TestWebhookPorts,
  caller: Caller,
  input: TestWebhookIn & { dialect?: TestDialect },
  now: () => number,
): Promise<TestWebhookOut> {
  const webhook = await requireWebhook(ports, caller, input.id);
  const dialect = input.dialect ?? 'api';
  const startedMs = now();
  const createdAt = new Date(startedMs).toISOString();
  const cliType = webhook.events.find((type): type is EventType => type in eventCatalogue);
  const eventType = input.event ?? (dialect === 'cli' ? cliType : undefined);
  const body = serializeEnvelope(
    eventType === undefined
      ? { event: TEST_EVENT_TYPE, data: { message: TEST_MESSAGE }, created_at: createdAt }
      : {
          event: eventType,
          data: { ...eventCatalogue[eventType].example, ...(dialect === 'cli' ? { test: true } : {}) },
          created_at: createdAt,
        },
  );
  const deliveryId = newDeliveryId(startedMs, webhook.workspace_id, webhook.id);
  const timestampSeconds = Math.floor(startedMs / 1000);
  const headers = buildDeliveryHeaders({
    ...(await signingMaterial(ports.secrets, webhook, startedMs)),
    deliveryId,
    eventType: eventType ?? TEST_EVENT_TYPE,
    body,
    timestampSeconds,
  });
  const outcome = await ports.sender.send({ url: webhook.url, headers, body });
  const endedMs = now();
  // An empty schedule: a test is one attempt, success or failed, never a retry.
  const decision = decideAfterAttempt({
    outcome,
    attemptsMade: 1,
    schedule: [],
    nowMs: endedMs,
    random: () => 0.5,
  });
  const state = newDeliveryState({
    deliveryId,
    workspaceId: webhook.workspace_id,
    webhookId: webhook.id,
    eventType: TEST_EVENT_TYPE,
    body,
    createdAt,
  });
  const row = attemptRow(state, outcome, decision, {
    startedMs,
    durationMs: endedMs - startedMs,
    signature: headers[HEADERS.signature],
    webhookSignature: headers[HEADERS.webhookSignature],
    timestampSeconds,
  });
  await ports.log.append(row);
  return {
    status: decision.status === 'success' ? (dialect === 'cli' ? 'delivered' : 'sent') : 'failed',
    url: webhook.url,
    signature: headers[HEADERS.signature] ?? '',
    status_code: row.response_status ?? null,
    response_body: row.response_body ?? null,
    error: row.error ?? null,
    delivery_id: deliveryId,
  };
}
