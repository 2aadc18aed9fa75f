import { runSuite } from '../../bench/chaos/suite.ts';

// Two scenarios of `npm run chaos -- --quick`, each with its own local stack, bounded waits included.
jest.setTimeout(150_000);

/**
 * The fast part of the fault-injection suite (docs/operations.md, "Fault injection"): injected AWS
 * faults with lost answers, and a SIGKILL during fan-out and dispatch. Nothing may be lost, and the
 * accounting must put every (webhook, event) pair in exactly one state.
 */
describe('npm run chaos -- --quick (faults, kills)', () => {
  it('loses no event, and accounts for every pair', async () => {
    const log: string[] = [];
    const results = await runSuite({
      names: ['faults', 'kills'],
      quick: true,
      seed: 1,
      log: (line) => log.push(line),
    });
    for (const r of results) {
      const t = r.total;
      expect({ scenario: r.name, lost: t.lost, log: log.filter((l) => l.includes('LOST')) }).toEqual({
        scenario: r.name,
        lost: 0,
        log: [],
      });
      expect(r.published).toBeGreaterThan(0);
      expect(r.webhooks).toBeGreaterThan(0);
      expect(t.pairs).toBe(r.webhooks * r.published);
      expect(t.delivered + t.failed + t.deadLettered + t.queued + t.lost).toBe(t.pairs);
      // The healthy receivers got something: the run measured a working system, not a dead one.
      expect(t.delivered).toBeGreaterThan(0);
    }
    const faults = results.find((r) => r.name === 'faults');
    expect(faults?.faults?.dynamodb?.failed).toBeGreaterThan(0);
    const kills = results.find((r) => r.name === 'kills');
    expect(kills?.kills).toHaveLength(1);
  });
});
