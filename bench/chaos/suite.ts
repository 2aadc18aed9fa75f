/** The chaos suite's scenarios (full and quick), how they run in order, and the results table. */
import { BEHAVIOUR_NOTES } from './receiver.ts';
import { runScenario, type ScenarioResult, type ScenarioSpec } from './scenarios.ts';

export const SCENARIO_NAMES = ['faults', 'kills', 'hostile', 'switching'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The scenarios, full or quick (CI): same shape, less load and shorter bounds. */
export function scenarios(quick: boolean, seed: number): Record<ScenarioName, ScenarioSpec> {
  const q = <T>(full: T, fast: T) => (quick ? fast : full);
  return {
    faults: {
      name: 'faults',
      title: 'AWS faults: 20 % of DynamoDB and SQS calls fail, 30 % of those after the call succeeded',
      env: { ENCRATA_FAULTS: `dynamodb:0.2,sqs:0.2,lost:0.3,seed:${seed}`, ENCRATA_RETRY_SCHEDULE: '1,2,4' },
      // Several creates under faults: a create answered 5xx must leave no ghost behind.
      webhooks: [{ behaviour: 'ok', count: q(8, 3) }],
      events: q(60, 10),
      kills: 0,
      settleMs: q(200_000, 20_000),
    },
    kills: {
      name: 'kills',
      title: 'SIGKILL of the stack at random moments during fan-out and dispatch, then restart',
      env: { ENCRATA_RETRY_SCHEDULE: '1,2,4' },
      // Enough fan-out (each event to every webhook) that a kill lands while events are being fanned out.
      webhooks: [{ behaviour: 'ok', count: q(20, 10) }],
      events: q(60, 10),
      kills: q(3, 1),
      settleMs: q(200_000, 20_000),
    },
    hostile: {
      name: 'hostile',
      title: 'hostile receivers (hang, reset, drip-feed, 50 MiB, 4.9 s) beside a healthy one',
      env: { ENCRATA_RETRY_SCHEDULE: '1,1' },
      webhooks: (['ok', 'hang', 'reset', 'drip', 'huge', 'slow'] as const).map((behaviour) => ({
        behaviour,
        count: 1,
      })),
      events: q(6, 3),
      kills: 0,
      settleMs: q(90_000, 40_000),
    },
    switching: {
      name: 'switching',
      title: 'a receiver answering 101 Switching Protocols beside a healthy one',
      env: { ENCRATA_RETRY_SCHEDULE: '1,1' },
      webhooks: [
        { behaviour: 'ok', count: 1 },
        { behaviour: 'switching', count: 1 },
      ],
      events: q(6, 3),
      kills: 0,
      settleMs: q(90_000, 20_000),
    },
  };
}

export const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The results as one markdown table (one row per scenario and receiver) and notes under it. */
export function markdownTable(results: ScenarioResult[]): string {
  const lines = [
    '| scenario | receiver | pairs | delivered | visibly failed (in DLQ) | dead-lettered, log not final | still queued | **lost** | duplicates | dup. ids | latency p50 / max | notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of results) {
    const notes: string[] = [];
    if (r.ghostWebhooks) notes.push(`${r.ghostWebhooks} ghost webhook(s) from failed creates`);
    if (r.publishErrors) notes.push(`${r.publishErrors} publish error(s)`);
    if (r.faults) {
      const f = Object.entries(r.faults)
        .map(([service, c]) => `${service} ${c.failed + c.lost}/${c.calls} (${c.lost} lost answers)`)
        .join(', ');
      notes.push(`faults injected: ${f}; API 5xx seen: ${r.api.serverErrors}`);
    }
    for (const [k, kill] of r.kills.entries()) {
      notes.push(
        `kill ${k + 1}: ${kill.pending} pairs open, delivery resumed ${kill.pending === 0 ? 'n/a' : kill.resumeMs === undefined ? 'not within the bound' : `${seconds(kill.resumeMs)} after restart`}`,
      );
    }
    const when = r.kills.length
      ? `${seconds(r.settledInMs)} after the last restart`
      : `${r.allSettled ? 'in' : 'after'} ${seconds(r.settledInMs)}`;
    notes.push(`${r.allSettled ? 'all final' : 'not all final'} ${when}`);
    if (!r.gracefulStop) notes.push('stop needed SIGKILL');
    r.rows.forEach((row, index) => {
      lines.push(
        `| ${index === 0 ? r.name : ''} | ${row.behaviour} | ${row.pairs} | ${row.delivered} | ${row.failed} (${row.inDeadLetterQueue}) | ${row.deadLettered} | ${row.queued} | **${row.lost}** | ${row.duplicates} | ${row.duplicateIds} | ${seconds(row.latencyP50Ms)} / ${seconds(row.latencyMaxMs)} | ${index === 0 ? notes.join('; ') : ''} |`,
      );
    });
  }
  return lines.join('\n');
}

/** Every receiver behaviour, one line, for under the table. */
export function receiverLegend(): string {
  return `Receivers: ${Object.entries(BEHAVIOUR_NOTES)
    .map(([name, note]) => `${name} = ${note}`)
    .join('; ')}.`;
}

/** Runs the named scenarios one after another (each with its own stack). */
export async function runSuite(options: {
  names: readonly ScenarioName[];
  quick: boolean;
  seed: number;
  log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const specs = scenarios(options.quick, options.seed);
  const results: ScenarioResult[] = [];
  for (const name of options.names) {
    const t0 = Date.now();
    options.log(`== ${name}: ${specs[name].title}`);
    const result = await runScenario(specs[name], {
      seed: options.seed,
      log: (line) => options.log(`   ${line}`),
    });
    options.log(`   done in ${seconds(Date.now() - t0)}: ${result.total.lost} lost`);
    results.push(result);
  }
  return results;
}
