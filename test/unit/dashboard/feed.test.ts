import type { Delivery } from '../../../dashboard/src/api.ts';
import { mergeNewest } from '../../../dashboard/src/feed.ts';
import { formatCountdown, formatRate, stoppedReason } from '../../../dashboard/src/format.ts';

const delivery = (id: string, status: Delivery['status'] = 'success'): Delivery => ({
  id,
  webhook_id: 'wh_1',
  event_type: 'lookup.completed',
  payload: {},
  status,
  attempts: 1,
  response_status: 200,
  response_body: null,
  last_attempt_at: null,
  next_attempt_at: null,
  error: null,
  created_at: '2026-12-01T00:00:00.000Z',
});

describe('mergeNewest (the live log)', () => {
  it('puts new deliveries on top and replaces changed ones, keeping older pages below', () => {
    const shown = [delivery('dlv_5', 'pending'), delivery('dlv_4'), delivery('dlv_2'), delivery('dlv_1')];
    const newest = [delivery('dlv_7'), delivery('dlv_6'), delivery('dlv_5', 'success'), delivery('dlv_4')];
    expect(mergeNewest(shown, newest, false).map((d) => `${d.id}:${d.status}`)).toEqual([
      'dlv_7:success',
      'dlv_6:success',
      'dlv_5:success',
      'dlv_4:success',
      'dlv_2:success',
      'dlv_1:success',
    ]);
  });

  it('takes the newest page as everything when nothing older was loaded or nothing older exists', () => {
    const shown = [delivery('dlv_3'), delivery('dlv_2', 'failed')];
    expect(mergeNewest(shown, [delivery('dlv_3')], true).map((d) => d.id)).toEqual(['dlv_3']);
    expect(mergeNewest(shown, [], false)).toEqual(shown);
  });
});

describe('formatCountdown', () => {
  const now = Date.parse('2026-12-01T12:00:00.000Z');
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();
  it('counts down in seconds, minutes and hours, and says "now" once due (never "just now")', () => {
    expect(formatCountdown(at(4.2), now)).toBe('in 5 s');
    expect(formatCountdown(at(59), now)).toBe('in 59 s');
    expect(formatCountdown(at(125), now)).toBe('in 2 min 5 s');
    expect(formatCountdown(at(120), now)).toBe('in 2 min');
    expect(formatCountdown(at(3 * 3600 + 600), now)).toBe('in 3 h 10 min');
    expect(formatCountdown(at(0), now)).toBe('now');
    expect(formatCountdown(at(-30), now)).toBe('now');
  });
});

describe('row wording', () => {
  it('says why a stopped delivery stopped', () => {
    expect(stoppedReason('webhook paused')).toBe('Stopped: webhook paused');
    expect(stoppedReason('webhook disabled: failing')).toBe('Stopped: webhook disabled (failing)');
    expect(stoppedReason('webhook deleted')).toBe('Stopped: webhook deleted');
    expect(stoppedReason('timeout: no complete answer within 5000 ms')).toBeNull();
    expect(stoppedReason(null)).toBeNull();
  });

  it('shows rates as percentages with one decimal at most', () => {
    expect(formatRate(0.932)).toBe('93.2%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0)).toBe('0%');
  });
});
