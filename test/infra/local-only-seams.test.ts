import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../../functions/resources.ts';
import { resourcesOfType, synthesize } from './support.ts';

/** Variables only the local stack sets: fault injection (local/faults.ts) and the local-stack marker. */
const LOCAL_ONLY = ['ENCRATA_FAULTS', ENV.localStack, ENV.extraCaFile];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|json)$/.test(entry.name) ? [path] : [];
  });
}

describe('local-only seams never reach AWS', () => {
  it.each([[{}], [{ stage: 'dev' }]])(
    'no Lambda of the synthesized stack %j has a local-only variable',
    (props) => {
      const { template } = synthesize(props);
      const functions = Object.entries(resourcesOfType(template, 'AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThan(0);
      for (const [id, fn] of functions) {
        const names = Object.keys(fn.Properties.Environment?.Variables ?? {});
        for (const variable of LOCAL_ONLY)
          expect({ id, has: names.includes(variable) }).toEqual({ id, has: false });
      }
    },
  );

  it('the functions, the CDK app and its constructs never read ENCRATA_FAULTS nor import the local stack', () => {
    const files = ['functions', 'lib', 'bin'].flatMap((dir) => sourceFiles(dir));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return text.includes('ENCRATA_FAULTS') || /from '(\.\.\/)+local\//.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
