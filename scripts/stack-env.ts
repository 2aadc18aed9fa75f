/**
 * `npm run -s stack:env`: prints the shell exports that point a second terminal at the running local
 * stack (found through ENCRATA_DATA_DIR, as every script finds it), so nothing is copied out of
 * stack.json by hand:   eval "$(npm run -s stack:env)"
 */
import { fail, findLocalStack } from './stack-info.ts';

const found = findLocalStack();
if ('missing' in found) fail(found.missing);
const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
const values: [string, string][] = [
  ['ENCRATA_DATA_DIR', found.dataDir],
  ['ENCRATA_API_URL', found.stack.api_url],
  // What Encrata's CLI reads (README, "Use Encrata's CLI and SDKs").
  ['ENCRATA_BASE_URL', found.stack.api_url],
  ['ENCRATA_API_KEY', found.stack.api_key],
  ['ENCRATA_WORKSPACE_ID', found.stack.workspace_id],
];
for (const [name, value] of values) console.log(`export ${name}=${quote(value)}`);
