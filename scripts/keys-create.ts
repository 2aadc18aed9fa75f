/**
 * `npm run keys:create -- --workspace <id> --name <name>`: issues an API key (a workspace's first)
 * and prints it. Against the local stack it finds the stack through `<ENCRATA_DATA_DIR>/stack.json`;
 * against a deployed stack pass `--aws --table <ApiKeysTable output> --events-queue-url <EventsQueueUrl output>`
 * with AWS credentials in the environment.
 */
import { parseArgs } from 'node:util';
import { DynamoApiKeyStore } from '../functions/adapters/dynamodb/api-key-store.ts';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import { createSqsClient } from '../functions/adapters/sqs/client.ts';
import { SqsEventPublisher } from '../functions/adapters/sqs/queues.ts';
import { issueApiKey } from '../functions/core/api-key-service.ts';
import { createApiKeySchema } from '../functions/core/api-keys.ts';
import { WORKSPACE_ID_PATTERN } from '../functions/core/id-schemas.ts';
import { fail, readLocalStack } from './stack-info.ts';

const { values } = parseArgs({
  options: {
    workspace: { type: 'string' },
    name: { type: 'string' },
    aws: { type: 'boolean', default: false },
    table: { type: 'string' },
    'events-queue-url': { type: 'string' },
  },
});
const workspaceId = values.workspace?.trim();
if (!workspaceId || !WORKSPACE_ID_PATTERN.test(workspaceId)) {
  fail('Usage: npm run keys:create -- --workspace <id> --name <name> (workspace: letters, digits, _ . -).');
}
const name = createApiKeySchema.safeParse({ name: values.name });
if (!name.success) fail(`--name: ${name.error.issues[0]?.message ?? 'invalid'}.`);

let table: string;
let queueUrl: string;
let dynamodbEndpoint: string | undefined;
let sqsEndpoint: string | undefined;
if (values.aws) {
  if (!values.table || !values['events-queue-url'])
    fail('--aws needs --table and --events-queue-url (from the stack outputs).');
  table = values.table;
  queueUrl = values['events-queue-url'];
} else {
  const stack = readLocalStack();
  table = stack.tables.apiKeys ?? fail('stack.json names no apiKeys table.');
  queueUrl = stack.events_queue_url;
  dynamodbEndpoint = stack.dynamodb_endpoint;
  sqsEndpoint = stack.sqs_endpoint;
}

try {
  const { record, key } = await issueApiKey(
    {
      apiKeys: new DynamoApiKeyStore(createDocumentClient(dynamodbEndpoint), table),
      publisher: new SqsEventPublisher(createSqsClient(sqsEndpoint), queueUrl),
    },
    { workspaceId, name: name.data.name, now: new Date() },
  );
  console.error(
    `Created key ${record.id} (${record.name}) for workspace ${record.workspace_id}. It is shown only now:`,
  );
  console.log(key);
} catch (error) {
  fail(`Could not create the key: ${(error as Error).message}.`);
}
