/**
 * `npm run chaos [-- --quick] [--only faults,kills,hostile,switching] [--seed n] [--json file]`:
 * the fault-injection suite (docs/operations.md, "Fault injection"). Runs each scenario against a
 * real local stack and a real HTTPS receiver, prints one markdown table, writes the results as JSON
 * (bench/results/chaos-latest.json) and exits non-zero when any event was lost.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  markdownTable,
  receiverLegend,
  runSuite,
  SCENARIO_NAMES,
  type ScenarioName,
  seconds,
} from './suite.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string', default: 'bench/results/chaos-latest.json' },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error('--seed must be a whole number');
  const names = (values.only?.split(',') ?? [...SCENARIO_NAMES]) as ScenarioName[];
  const unknown = names.filter((name) => !SCENARIO_NAMES.includes(name));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`);
  const started = Date.now();
  const results = await runSuite({ names, quick: values.quick, seed, log: (line) => console.error(line) });
  const lost = results.reduce((sum, r) => sum + r.total.lost, 0);
  console.log(markdownTable(results));
  console.log(`\n${receiverLegend()}`);
  console.log(
    `\n${values.quick ? 'Quick run' : 'Run'} (seed ${seed}) took ${seconds(Date.now() - started)}; ${lost} lost.`,
  );
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${JSON.stringify({ quick: values.quick, seed, results }, null, 2)}\n`);
  for (const r of results.filter((x) => x.total.lost > 0)) console.error(`kept ${r.dataDir} for inspection`);
  const unpublished = results.filter((r) => r.published === 0).map((r) => r.name);
  if (unpublished.length)
    console.error(`nothing was published in ${unpublished.join(', ')}: the run measured nothing`);
  return lost > 0 || unpublished.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
