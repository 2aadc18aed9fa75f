import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  type KeyDefinition,
  TABLES,
  type TableDefinition,
  type TableName,
} from '../../functions/resources.ts';

export interface TablesProps {
  /**
   * What happens to the tables (and their data) when they leave the stack. Use DESTROY only for
   * throw-away development stacks; RETAIN also turns on deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One DynamoDB table per entry of `TABLES` (functions/resources.ts), the same definitions the local
 * stack creates, so local and deployed tables cannot drift.
 */
export class Tables extends Construct {
  readonly webhooks: dynamodb.Table;
  readonly deliveries: dynamodb.Table;
  readonly events: dynamodb.Table;
  readonly apiKeys: dynamodb.Table;
  readonly rateLimits: dynamodb.Table;
  private readonly byName: Record<TableName, dynamodb.Table>;

  constructor(scope: Construct, id: string, props: TablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const build = (definition: TableDefinition): dynamodb.Table =>
      createTable(this, definition, removalPolicy);

    this.byName = {
      webhooks: build(TABLES.webhooks),
      deliveries: build(TABLES.deliveries),
      events: build(TABLES.events),
      apiKeys: build(TABLES.apiKeys),
      rateLimits: build(TABLES.rateLimits),
    };
    this.webhooks = this.byName.webhooks;
    this.deliveries = this.byName.deliveries;
    this.events = this.byName.events;
    this.apiKeys = this.byName.apiKeys;
    this.rateLimits = this.byName.rateLimits;
  }

  /** The table for a key of `TABLES`, for code that iterates the definitions (e.g. the route table). */
  table(name: TableName): dynamodb.Table {
    return this.byName[name];
  }

  /** Grants exactly `actions` on a table (not its indexes): what a function's code calls, and nothing more. */
  grantActions(name: TableName, grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.byName[name].tableArn],
    });
  }

  /** Grants exactly `actions` (queries) on a table's secondary indexes, by name. */
  grantIndexActions(name: TableName, grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    const table = this.byName[name];
    const definition: TableDefinition = TABLES[name];
    const resourceArns = (definition.globalSecondaryIndexes ?? []).map(
      (index) => `${table.tableArn}/index/${index.indexName}`,
    );
    return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  }
}

function createTable(
  scope: Construct,
  definition: TableDefinition,
  removalPolicy: RemovalPolicy,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, definition.logicalName, {
    partitionKey: toAttribute(definition.partitionKey),
    sortKey: definition.sortKey && toAttribute(definition.sortKey),
    // Traffic is bursty (fan-outs, retries) and small on average: on-demand needs no capacity planning.
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The AWS managed key keeps KMS use auditable in CloudTrail at no key cost or key-policy upkeep;
    // webhook secrets get their own application-level encryption (SecretKey), so a CMK adds nothing.
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: definition.ttlAttribute,
    removalPolicy,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
  });
  for (const index of definition.globalSecondaryIndexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: toAttribute(index.partitionKey),
      sortKey: index.sortKey && toAttribute(index.sortKey),
    });
  }
  return table;
}

function toAttribute(key: KeyDefinition): dynamodb.Attribute {
  const type = key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER;
  return { name: key.name, type };
}
