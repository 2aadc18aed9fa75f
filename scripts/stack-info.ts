import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';

const stackInfoSchema = z.object({
  api_url: z.string(),
  workspace_id: z.string(),
  api_key: z.string(),
  sqs_endpoint: z.string(),
  events_queue_url: z.string(),
  events_dlq_url: z.string(),
  deliveries_queue_url: z.string(),
  deliveries_dlq_url: z.string(),
  dynamodb_endpoint: z.string(),
  tables: z.record(z.string(), z.string()),
});
export type StackInfoIn = z.infer<typeof stackInfoSchema>;

/** The running local stack, found through `<ENCRATA_DATA_DIR>/stack.json`, or a one-sentence exit. */
export function readLocalStack(): StackInfoIn {
  const dataDir = resolve(process.env.ENCRATA_DATA_DIR ?? '.local');
  const file = join(dataDir, 'stack.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    fail(`The local stack is not running (no ${file}); start it with npm start.`);
  }
  const parsed = stackInfoSchema.safeParse(JSON.parse(text));
  if (!parsed.success) fail(`${file} is not a stack description this version understands.`);
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return parsed.data;
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
