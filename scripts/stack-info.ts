import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { resolveDataDir } from '../local/config.ts';

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
  data_dir: z.string().optional(),
  pid: z.number().int().optional(),
});
export type StackInfoIn = z.infer<typeof stackInfoSchema>;

/** Whether a process with this id is alive (a stack killed with SIGKILL leaves its stack.json behind). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The local stack running in `<ENCRATA_DATA_DIR>/stack.json` (the data directory resolved exactly as
 * `npm start` resolves it), or a reason it is not there.
 */
export function findLocalStack(
  env: NodeJS.ProcessEnv = process.env,
): { stack: StackInfoIn; dataDir: string } | { missing: string; dataDir: string } {
  const dataDir = resolveDataDir(env);
  const file = join(dataDir, 'stack.json');
  const hint = env.ENCRATA_DATA_DIR
    ? 'start it with npm start in the same ENCRATA_DATA_DIR'
    : 'start it with npm start, or export the ENCRATA_DATA_DIR it runs with';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { dataDir, missing: `The local stack is not running in ${dataDir} (no stack.json); ${hint}.` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = stackInfoSchema.safeParse(json);
  if (!parsed.success)
    return { dataDir, missing: `${file} is not a stack description this version understands.` };
  if (parsed.data.pid !== undefined && !alive(parsed.data.pid)) {
    return { dataDir, missing: `The local stack in ${dataDir} is not running (its process ended); ${hint}.` };
  }
  return { dataDir, stack: parsed.data };
}

/** The running local stack, or a one-sentence exit. Sets the placeholder AWS settings the emulators accept. */
export function readLocalStack(): StackInfoIn {
  const found = findLocalStack();
  if ('missing' in found) fail(found.missing);
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return found.stack;
}

/** One call to the local stack's API with its dev key; the answer's status and parsed JSON body. */
export async function callApi(
  stack: Pick<StackInfoIn, 'api_url' | 'api_key'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.api_url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.api_key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** The message of an API error body (`{error, details?}`), for printing. */
export function apiErrorText(json: unknown): string {
  const parsed = z
    .object({
      error: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    })
    .safeParse(json);
  if (!parsed.success) return JSON.stringify(json);
  const details = parsed.data.details?.map((d) => `${d.path}: ${d.message}`).join('; ');
  return details ? `${parsed.data.error} (${details})` : parsed.data.error;
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
