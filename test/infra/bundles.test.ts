/**
 * What the dispatcher's bundle holds, built exactly as `cdk synth` builds it (lib/bundling.ts). Its
 * size is its cold start (issue budget: 350 KiB minified); these are the imports that once grew it by
 * 90 KiB without anyone noticing: the event catalogue's classic zod (the dispatcher publishes
 * `webhook.disabled` from its types instead), the X-Ray tracer, and the stores' API-only parts.
 */
import { build, type Metafile } from 'esbuild';
import { esbuildOptions } from '../../lib/bundling.ts';

const KIB = 1024;

async function bundle(entry: string) {
  const result = await build({
    ...esbuildOptions(entry),
    write: false,
    metafile: true,
    outdir: '/tmp/unused',
  });
  const js = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const output = Object.values(result.metafile?.outputs ?? {}).find((o) => o.entryPoint) as
    | Metafile['outputs'][string]
    | undefined;
  return { bytes: js?.contents.length ?? 0, inputs: Object.keys(output?.inputs ?? {}) };
}

describe('the dispatcher bundle', () => {
  let dispatcher: { bytes: number; inputs: string[] };
  beforeAll(async () => {
    dispatcher = await bundle('functions/dispatcher/handler.ts');
  }, 60_000);

  it('stays within its 350 KiB budget', () => {
    expect(dispatcher.bytes).toBeGreaterThan(100 * KIB);
    expect(dispatcher.bytes).toBeLessThanOrEqual(350 * KIB);
  });

  it('holds zod mini only, no tracer, no event catalogue and none of the stores’ API parts', () => {
    const has = (fragment: string) => dispatcher.inputs.filter((input) => input.includes(fragment));
    expect(has('zod/v4/classic')).toEqual([]);
    expect(has('aws-xray-sdk')).toEqual([]);
    expect(has('@aws-lambda-powertools/tracer')).toEqual([]);
    expect(has('functions/core/events.ts')).toEqual([]);
    expect(has('functions/adapters/dynamodb/webhook-store.ts')).toEqual([]);
    expect(has('functions/adapters/dynamodb/event-store.ts')).toEqual([]);
    // The ones it does need are there (the check above is not vacuous).
    expect(has('functions/adapters/dynamodb/webhook-health-store.ts')).toHaveLength(1);
    expect(has('zod/v4/mini').length).toBeGreaterThan(0);
  });

  it('is what the fan-out is not: fan-out validates events with the catalogue and traces its calls', async () => {
    const fanout = await bundle('functions/fanout/handler.ts');
    expect(fanout.inputs.some((input) => input.includes('functions/core/events.ts'))).toBe(true);
    expect(fanout.inputs.some((input) => input.includes('aws-xray-sdk'))).toBe(true);
  }, 60_000);
});
