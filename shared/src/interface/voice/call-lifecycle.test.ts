import { describe, expect, it } from 'vitest';
import {
  advances,
  contactOutcome,
  fromTwilioStatus,
  isTerminal,
  TWILIO_CALL_STATUSES,
} from './call-lifecycle.ts';

describe('call lifecycle rules', () => {
  it('maps every Twilio status to ours', () => {
    expect(TWILIO_CALL_STATUSES.map(fromTwilioStatus)).toEqual([
      'dialing',
      'dialing',
      'ringing',
      'in_progress',
      'completed',
      'busy',
      'failed',
      'no_answer',
      'canceled',
    ]);
  });

  it('moves statuses only forward and never out of an end', () => {
    expect(advances('requested', 'dialing')).toBe(true);
    expect(advances('in_progress', 'ringing')).toBe(false);
    expect(advances('dialing', 'dialing')).toBe(false);
    expect(advances('ringing', 'busy')).toBe(true);
    expect(advances('completed', 'failed')).toBe(false);
    expect(isTerminal('no_answer')).toBe(true);
    expect(isTerminal('in_progress')).toBe(false);
  });

  it('completes a contact a human answered, skips fax, retries machines and failures', () => {
    const outcome = (
      status: 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled',
      answeredBy: string | null = null,
      endReason: string | null = null,
    ) => contactOutcome({ status, answeredBy, endReason });
    expect(outcome('completed')).toEqual({ kind: 'completed', result: 'answered' });
    expect(outcome('completed', 'human', 'hangup')).toEqual({ kind: 'completed', result: 'answered' });
    expect(outcome('completed', 'fax')).toEqual({ kind: 'skipped', result: 'fax' });
    expect(outcome('completed', 'machine_end_beep')).toEqual({ kind: 'retry', result: 'machine' });
    expect(outcome('completed', null, 'machine')).toEqual({ kind: 'retry', result: 'machine' });
    for (const status of ['busy', 'no_answer', 'failed', 'canceled'] as const) {
      expect(outcome(status)).toEqual({ kind: 'retry', result: status });
    }
  });
});
