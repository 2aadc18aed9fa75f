import {
  addPair,
  classifyPair,
  emptyTally,
  isSettled,
  type PairEvidence,
  percentile,
} from '../../bench/chaos/accounting.ts';

const nothing: PairEvidence = {
  okAnswers: 0,
  requests: 0,
  deliveryIds: 0,
  rowStatus: undefined,
  queued: false,
  deadLettered: false,
};

describe('the chaos suite accounts for every (webhook, event) pair', () => {
  it.each<[string, Partial<PairEvidence>, ReturnType<typeof classifyPair>]>([
    ['a success in the log', { rowStatus: 'success', okAnswers: 1 }, 'delivered'],
    [
      'a success in the log the receiver never saw answered (timed out)',
      { rowStatus: 'success' },
      'delivered',
    ],
    [
      'a failure in the log, though the receiver answered 2xx too late',
      { rowStatus: 'failed', okAnswers: 3 },
      'failed',
    ],
    [
      'a failure in the log whose message is in the DLQ',
      { rowStatus: 'failed', deadLettered: true },
      'failed',
    ],
    [
      'a 2xx the log has not caught up with',
      { rowStatus: 'pending', okAnswers: 1, queued: true },
      'delivered',
    ],
    ['a 2xx before fan-out wrote its row', { okAnswers: 1 }, 'delivered'],
    [
      'pending in the log, its message dead-lettered',
      { rowStatus: 'pending', deadLettered: true },
      'dead-lettered',
    ],
    ['an event dead-lettered before fan-out', { deadLettered: true }, 'dead-lettered'],
    ['pending, its message waiting for a retry', { rowStatus: 'pending', queued: true }, 'queued'],
    ['an event not fanned out yet', { queued: true }, 'queued'],
    ['pending with no message anywhere: nothing will ever send it', { rowStatus: 'pending' }, 'lost'],
    ['known to nobody', {}, 'lost'],
  ])('%s', (_name, evidence, state) => {
    expect(classifyPair({ ...nothing, ...evidence })).toBe(state);
  });

  it('tallies each pair once, duplicates only of delivered pairs, and duplicate delivery ids', () => {
    const tally = emptyTally();
    addPair(tally, { ...nothing, rowStatus: 'success', okAnswers: 3, deliveryIds: 1 });
    addPair(tally, { ...nothing, rowStatus: 'failed', okAnswers: 2, deliveryIds: 2, deadLettered: true });
    addPair(tally, { ...nothing, queued: true });
    addPair(tally, { ...nothing });
    expect(tally).toEqual({
      pairs: 4,
      delivered: 1,
      failed: 1,
      deadLettered: 0,
      queued: 1,
      lost: 1,
      inDeadLetterQueue: 1,
      duplicates: 2,
      duplicateIds: 1,
    });
  });

  it('a pair is settled when the log is final, or when a receiver that answers 2xx got it before any row', () => {
    expect(isSettled({ rowStatus: 'success', okAnswers: 0 }, true)).toBe(true);
    expect(isSettled({ rowStatus: 'failed', okAnswers: 0 }, false)).toBe(true);
    expect(isSettled({ rowStatus: 'pending', okAnswers: 1 }, true)).toBe(false);
    expect(isSettled({ rowStatus: undefined, okAnswers: 1 }, true)).toBe(true);
    expect(isSettled({ rowStatus: undefined, okAnswers: 1 }, false)).toBe(false);
    expect(isSettled({ rowStatus: undefined, okAnswers: 0 }, true)).toBe(false);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 100)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 1)).toBe(1);
  });
});
