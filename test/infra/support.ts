import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EncrataWebhooksStack, type EncrataWebhooksStackProps } from '../../lib/encrata-webhooks-stack.ts';

/** Skips esbuild bundling (and asset staging) for every stack: the tests look at the template only. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** A template resource. Properties are arbitrary CloudFormation JSON, whose shape is what the tests assert. */
export interface Resource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: untyped template JSON, narrowed by each assertion
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  // biome-ignore lint/suspicious/noExplicitAny: untyped template JSON, narrowed by each assertion
  Metadata?: Record<string, any>;
}

export function newApp(): App {
  return new App({ context: SKIP_BUNDLING });
}

export function synthesize(props?: EncrataWebhooksStackProps): {
  stack: EncrataWebhooksStack;
  template: Template;
} {
  const stack = new EncrataWebhooksStack(newApp(), 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}

export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/**
 * The project's own functions (each made by NodeFunction), without the handler aws-cdk-lib adds for
 * the dashboard's BucketDeployment custom resource (its runtime and settings are aws-cdk-lib's).
 */
export function projectFunctions(template: Template): Record<string, Resource> {
  return Object.fromEntries(
    Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
      ([logicalId]) => !logicalId.startsWith('CustomCDKBucketDeployment'),
    ),
  );
}

export function resource(template: Template, logicalId: string): Resource {
  const found = (template.toJSON().Resources as Record<string, Resource>)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
}

/** The logical id behind `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attribute] }`. */
export function referencedId(value: unknown): string {
  if (value && typeof value === 'object') {
    if ('Ref' in value && typeof value.Ref === 'string') return value.Ref;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) return String(value['Fn::GetAtt'][0]);
  }
  throw new Error(`not a reference: ${JSON.stringify(value)}`);
}

/** Every logical id referenced anywhere inside `value` (Ref and Fn::GetAtt). */
export function referencedIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'Ref' && typeof child === 'string') ids.add(child);
        else if (key === 'Fn::GetAtt' && Array.isArray(child)) ids.add(String(child[0]));
        else visit(child);
      }
    }
  };
  visit(value);
  return ids;
}

/** The output's value as a logical id (outputs here are plain Refs and GetAtts). */
export function outputTarget(template: Template, name: string): string {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const output = outputs[name];
  if (!output) throw new Error(`no output ${name}`);
  return referencedId(output.Value);
}

/** The IAM statements attached to a function's execution role. */
export function statementsOf(
  template: Template,
  functionId: string,
): { Action: string | string[]; Resource: unknown }[] {
  const roleId = referencedId(resource(template, functionId).Properties.Role);
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => referencedIds(policy.Properties.Roles).has(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: { Action: string | string[] }): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/**
 * A function's grants, as `{ <resource label>: sorted actions }`: each statement's resources are named by
 * `labels` (logical id → label; `<id>/index/…` ARNs get `<label>/index`), `*` stays `*`. A resource the
 * labels do not know is named by its logical id, so an unexpected grant shows up in the comparison.
 */
export function grantsByResource(
  template: Template,
  functionId: string,
  labels: Record<string, string>,
): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  for (const statement of statementsOf(template, functionId) as {
    Action: string | string[];
    Resource: unknown;
    Effect?: string;
    Condition?: unknown;
  }[]) {
    if (statement.Effect !== 'Allow' || statement.Condition !== undefined) {
      throw new Error(`unexpected statement ${JSON.stringify(statement)}`);
    }
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const item of resources) {
      let label: string;
      if (item === '*') label = '*';
      else {
        const ids = [...referencedIds(item)].filter((id) => !id.startsWith('AWS::'));
        if (ids.length !== 1)
          throw new Error(`resource ${JSON.stringify(item)} names ${ids.length} resources`);
        const id = ids[0] as string;
        label = (labels[id] ?? id) + (JSON.stringify(item).includes('/index/') ? '/index' : '');
      }
      const actions = grants[label] ?? new Set<string>();
      for (const action of actionsOf(statement)) actions.add(action);
      grants[label] = actions;
    }
  }
  return Object.fromEntries(
    Object.entries(grants)
      .map(([label, actions]) => [label, [...actions].sort()] as [string, string[]])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}
