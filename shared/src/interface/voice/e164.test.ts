import { describe, expect, it } from 'vitest';
import { isE164, normalizePhone } from './e164.ts';

describe('E.164 phone numbers', () => {
  it('accepts E.164 and strips typing formatting', () => {
    expect(isE164('+15550100000')).toBe(true);
    expect(normalizePhone(' +1 (555) 010-0000 ')).toBe('+15550100000');
    expect(normalizePhone('+44.20.7946.0958')).toBe('+442079460958');
  });

  it('refuses numbers without a plus, with letters, a zero country code or too many digits', () => {
    for (const value of [
      '15550100000',
      '+0555010000',
      '+1555CALLNOW',
      '+1234567890123456',
      '+',
      '',
      '++15550100000',
    ]) {
      expect(normalizePhone(value), value).toBeNull();
    }
  });
});
