/**
 * The chaos suite's bookkeeping, pure: every (webhook, event) pair that should have been delivered,
 * put in exactly one final state from what the receiver saw, the delivery log says and the queues
 * hold. A pair is LOST when none of them knows it: never received, no final row, in no queue and no
 * dead-letter queue (a row `pending` with no message anywhere is lost too: nothing would ever send it).
 */

export type PairState = 'delivered' | 'failed' | 'dead-lettered' | 'queued' | 'lost';

export interface PairEvidence {
  /** 2xx answers the receiver gave for this pair (the sender may still have given up, e.g. on time). */
  okAnswers: number;
  /** Requests that reached the receiver. */
  requests: number;
  /** Distinct delivery ids the receiver and the log saw for this pair (more than one: fan-out duplicated it). */
  deliveryIds: number;
  /** The delivery log's status, if it has a row. */
  rowStatus: 'pending' | 'success' | 'failed' | undefined;
  /** A message for it (or its event, not fanned out yet) is in a queue. */
  queued: boolean;
  /** A message for it (or its event) is in a dead-letter queue. */
  deadLettered: boolean;
}

/** The log's final states decide first (what customers see); the receiver next (the log may lag); then the queues. */
export function classifyPair(e: PairEvidence): PairState {
  if (e.rowStatus === 'success') return 'delivered';
  if (e.rowStatus === 'failed') return 'failed';
  // The receiver has it (answered 2xx) though the log has not caught up (no row, or still pending).
  if (e.okAnswers > 0) return 'delivered';
  if (e.deadLettered) return 'dead-lettered';
  if (e.queued) return 'queued';
  return 'lost';
}

export interface Tally {
  pairs: number;
  delivered: number;
  failed: number;
  deadLettered: number;
  queued: number;
  lost: number;
  /** Pairs (in any state) with a message in a dead-letter queue: failed ones end there, redrivable. */
  inDeadLetterQueue: number;
  /** 2xx answers beyond the first, for delivered pairs (at-least-once duplicates). */
  duplicates: number;
  /** Pairs delivered under more than one delivery id (receivers dedupe on the id, so these are worse). */
  duplicateIds: number;
}

export function emptyTally(): Tally {
  return {
    pairs: 0,
    delivered: 0,
    failed: 0,
    deadLettered: 0,
    queued: 0,
    lost: 0,
    inDeadLetterQueue: 0,
    duplicates: 0,
    duplicateIds: 0,
  };
}

export function addPair(tally: Tally, e: PairEvidence): PairState {
  const state = classifyPair(e);
  tally.pairs++;
  if (state === 'delivered') {
    tally.delivered++;
    tally.duplicates += Math.max(0, e.okAnswers - 1);
  } else if (state === 'failed') tally.failed++;
  else if (state === 'dead-lettered') tally.deadLettered++;
  else if (state === 'queued') tally.queued++;
  else tally.lost++;
  if (e.deliveryIds > 1) tally.duplicateIds++;
  if (e.deadLettered) tally.inDeadLetterQueue++;
  return state;
}

/** Final means no more work will happen on it: delivered, failed or dead-lettered. */
export function isSettled(e: Pick<PairEvidence, 'rowStatus' | 'okAnswers'>, expectSuccess: boolean): boolean {
  if (e.rowStatus === 'success' || e.rowStatus === 'failed') return true;
  return expectSuccess && e.okAnswers > 0 && e.rowStatus === undefined;
}

/** Nearest-rank percentile of `values` (ms), or undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
