/**
 * What is left in the local stack's queues after it stopped: read from fauxqs's SQLite file (the
 * same file local/emulators.ts releases in-flight messages in), so nothing is received and hidden
 * from the stack by looking.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as z from 'zod';
import { eventKeyOf } from './receiver.ts';

export interface QueueSnapshot {
  /** Event keys with a message in the events queue (not fanned out yet, or being retried). */
  eventsQueued: Set<string>;
  /** Event keys in the events dead-letter queue. */
  eventsDeadLettered: Set<string>;
  /** `${webhookId} ${eventKey|deliveryId}` with a message in the deliveries queue. */
  deliveriesQueued: Set<string>;
  /** `${webhookId} ${eventKey|deliveryId}` in the deliveries dead-letter queue. */
  deliveriesDeadLettered: Set<string>;
  counts: Record<string, number>;
}

const eventMessage = z.object({
  id: z.string().optional(),
  data: z.object({ lookup_id: z.string() }).partial(),
});
const deliveryMessage = z.object({
  webhook_id: z.string(),
  delivery_id: z.string(),
  body: z.string().optional(),
});

/** Keys a delivery message is known by: its event (from the inline body) and its delivery id. */
function deliveryKeys(body: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return [];
  }
  const parsed = deliveryMessage.safeParse(json);
  if (!parsed.success) return [];
  const keys = [`${parsed.data.webhook_id} ${parsed.data.delivery_id}`];
  const event = parsed.data.body ? eventKeyOf(parsed.data.body) : undefined;
  if (event) keys.push(`${parsed.data.webhook_id} ${event}`);
  return keys;
}

function eventKey(body: string): string | undefined {
  try {
    const parsed = eventMessage.safeParse(JSON.parse(body));
    return parsed.success ? (parsed.data.data.lookup_id ?? parsed.data.id) : undefined;
  } catch {
    return undefined;
  }
}

export function readQueues(dataDir: string): QueueSnapshot {
  const snapshot: QueueSnapshot = {
    eventsQueued: new Set(),
    eventsDeadLettered: new Set(),
    deliveriesQueued: new Set(),
    deliveriesDeadLettered: new Set(),
    counts: {},
  };
  const file = join(dataDir, 'sqs', 'fauxqs.db');
  if (!existsSync(file)) return snapshot;
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const rows = db.prepare('SELECT queue_name, body FROM sqs_messages').all() as {
      queue_name: string;
      body: string;
    }[];
    for (const { queue_name: queue, body } of rows) {
      snapshot.counts[queue] = (snapshot.counts[queue] ?? 0) + 1;
      if (queue === 'encrata-events' || queue === 'encrata-events-dlq') {
        const key = eventKey(body);
        if (key) (queue === 'encrata-events' ? snapshot.eventsQueued : snapshot.eventsDeadLettered).add(key);
      } else if (queue === 'encrata-deliveries' || queue === 'encrata-deliveries-dlq') {
        const target =
          queue === 'encrata-deliveries' ? snapshot.deliveriesQueued : snapshot.deliveriesDeadLettered;
        for (const key of deliveryKeys(body)) target.add(key);
      }
    }
  } finally {
    db.close();
  }
  return snapshot;
}

/** The same, while fauxqs is running: undefined when the file is busy at that moment. */
export function peekQueues(dataDir: string): QueueSnapshot | undefined {
  try {
    return readQueues(dataDir);
  } catch {
    return undefined;
  }
}
