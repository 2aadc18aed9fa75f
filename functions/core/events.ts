import * as z from 'zod';
import { workspaceIdSchema } from './id-schemas.ts';
import { SYSTEM_EVENT_ID_PREFIX } from './ids.ts';

/**
 * The event catalogue (contract §4). Each event's `data` schema lists the fields a producer
 * must send; producers may add more, so the objects are loose (unknown keys are kept and delivered).
 */
export const eventCatalogue = {
  'lookup.completed': {
    description: 'An email lookup finished.',
    data: z.looseObject({ email: z.string().min(1), lookup_id: z.string().min(1) }),
    example: { email: 'ada@example.com', lookup_id: 'lu_01HZX4T7Q8K2M5N9P3R6S1V0W' },
  },
  'monitor.run.completed': {
    description: 'A monitor run finished with changes detected.',
    data: z.looseObject({
      monitor_id: z.string().min(1),
      monitor_name: z.string(),
      run_id: z.string().min(1),
      total_records: z.number().int().nonnegative(),
      changes_detected: z.number().int().nonnegative(),
      credits_used: z.number().nonnegative(),
    }),
    example: {
      monitor_id: 'mon_7Q2K9D',
      monitor_name: 'Weekly CRM refresh',
      run_id: 'run_01HZX5A3B4C6D7E8F9G0H1J2K',
      total_records: 1250,
      changes_detected: 37,
      credits_used: 1250,
    },
  },
  'apikey.created': {
    description: 'A new API key was created.',
    data: z.looseObject({ key_id: z.string().min(1), name: z.string(), key_preview: z.string() }),
    example: { key_id: '5b0f3c2e-8d1a-4f6b-9c7e-2a4d6f8b0c1e', name: 'CI deploys', key_preview: '...x9Qz' },
  },
  'apikey.revoked': {
    description:
      'An API key stopped working: revoked, deleted for good while active, or disabled (see reason).',
    data: z.looseObject({
      key_id: z.string().min(1),
      name: z.string(),
      key_preview: z.string(),
      revoked_at: z.iso.datetime(),
      reason: z.enum(['revoked', 'deleted', 'disabled']).optional(),
    }),
    example: {
      key_id: '5b0f3c2e-8d1a-4f6b-9c7e-2a4d6f8b0c1e',
      name: 'CI deploys',
      key_preview: '...x9Qz',
      revoked_at: '2026-11-30T09:15:00.000Z',
      reason: 'revoked',
    },
  },
  'credits.low': {
    description: 'Workspace credits dropped below the threshold.',
    data: z.looseObject({ balance: z.number(), threshold: z.number() }),
    example: { balance: 480, threshold: 500 },
  },
  'credits.exhausted': {
    description: 'Workspace credits are fully consumed.',
    data: z.looseObject({ balance: z.number() }),
    example: { balance: 0 },
  },
  'webhook.disabled': {
    description:
      'A webhook of the workspace was disabled automatically after failing for days (never sent to that webhook).',
    data: z.looseObject({
      webhook_id: z.string().min(1),
      url: z.string(),
      reason: z.enum(['failing']),
      failing_since: z.iso.datetime(),
    }),
    example: {
      webhook_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      url: 'https://hooks.example.com/encrata',
      reason: 'failing',
      failing_since: '2026-11-25T08:00:00.000Z',
    },
  },
} as const;

export type EventType = keyof typeof eventCatalogue;
export type EventData<E extends EventType> = z.infer<(typeof eventCatalogue)[E]['data']>;

export const EVENT_TYPES = Object.keys(eventCatalogue) as [EventType, ...EventType[]];
export const eventTypeSchema = z.enum(EVENT_TYPES, {
  error: (issue) =>
    `unknown event type ${JSON.stringify(issue.input)}; expected one of ${EVENT_TYPES.join(', ')}`,
});

/** The type a test delivery carries; never subscribable. */
export const TEST_EVENT_TYPE = 'test';

/** Largest serialized `data` a producer may publish (contract §4). */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

/**
 * Deepest nesting of objects and arrays in `data` (the object itself is level 1). Real events are a
 * few levels deep; a hostile, deeply nested body would otherwise make validation overflow its stack,
 * throw, and be retried instead of dead-lettered at once.
 */
export const MAX_EVENT_DATA_DEPTH = 32;

/** Whether `value` nests objects/arrays deeper than `max` levels; iterative, so any depth is safe. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Ids of the events this service publishes itself start with this (defined in ids.ts). */
export { SYSTEM_EVENT_ID_PREFIX };

/** The events only this service publishes (their ids are in the system namespace). */
export const SYSTEM_EVENT_TYPES: readonly EventType[] = [
  'apikey.created',
  'apikey.revoked',
  'webhook.disabled',
];

const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * One message on the events queue, as producers send it (contract §4, "Publishing").
 * `data` is checked against the catalogue entry of `event`, and its size is bounded.
 */
export const eventMessageSchema = z
  .object({
    id: idempotencyKey.optional(),
    workspace_id: workspaceIdSchema,
    event: eventTypeSchema,
    data: z.record(z.string(), z.unknown()),
    created_at: z.iso.datetime().optional(),
  })
  .superRefine((message, ctx) => {
    if (nestsDeeperThan(message.data, MAX_EVENT_DATA_DEPTH)) {
      // Checked first and alone: walking it any further is what a hostile body is made to break.
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `must not nest objects or arrays more than ${MAX_EVENT_DATA_DEPTH} levels deep`,
      });
      return;
    }
    if (message.id?.startsWith(SYSTEM_EVENT_ID_PREFIX) && !SYSTEM_EVENT_TYPES.includes(message.event)) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: `ids starting with ${SYSTEM_EVENT_ID_PREFIX} are reserved for Encrata's own events`,
      });
    }
    const result = eventCatalogue[message.event].data.safeParse(message.data);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['data', ...issue.path], message: issue.message });
      }
    }
    if (Buffer.byteLength(JSON.stringify(message.data)) > MAX_EVENT_DATA_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes`,
      });
    }
  });
export type EventMessageIn = z.infer<typeof eventMessageSchema>;

/** The body every receiver gets: serialized once, and those bytes are signed and sent. */
export interface Envelope {
  event: string;
  data: Record<string, unknown>;
  created_at: string;
}

/** Serializes the delivery envelope in the contract's field order. */
export function serializeEnvelope(envelope: Envelope): string {
  return JSON.stringify({ event: envelope.event, data: envelope.data, created_at: envelope.created_at });
}
