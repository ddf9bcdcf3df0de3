import { describe, expect, it } from 'vitest';
import { detectPii, findEchoes, luhnValid, maskPii } from './pii.ts';

const kinds = (text: string) => detectPii(text).map((match) => [match.kind, match.normalized]);

describe('PII detector', () => {
  it('checks card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('12a4')).toBe(false);
  });

  it('finds emails, phones, cards and SSNs in order, with normalized values', () => {
    expect(
      kinds(
        'Mail Jane.Doe@Example.COM or call +1 (415) 555-0100; card 4111 1111 1111 1111, SSN 123-45-6789.',
      ),
    ).toEqual([
      ['email', 'jane.doe@example.com'],
      ['phone', '14155550100'],
      ['card', '4111111111111111'],
      ['ssn', '123456789'],
    ]);
    expect(kinds('call 415.555.0100 or 4155550100 or (415) 555 0100')).toEqual([
      ['phone', '4155550100'],
      ['phone', '4155550100'],
      ['phone', '4155550100'],
    ]);
    expect(kinds('card 4111-1111-1111-1111 and 5500005555555559')).toEqual([
      ['card', '4111111111111111'],
      ['card', '5500005555555559'],
    ]);
  });

  it('does not report dates, amounts, order numbers or card-like numbers failing Luhn', () => {
    expect(
      kinds(
        'Order 10420 has shipped with UPS and should arrive on 2026-07-14. A refund of 131.56 USD ' +
          'for order 123456 was issued on 04.07.2026 at 10:30 (reference demo_rf_1x2y3z).',
      ),
    ).toEqual([]);
    expect(kinds('4111 1111 1111 1112')).toEqual([]);
    expect(kinds('000-12-3456 and 666-12-3456 and 123-00-4567')).toEqual([]);
    expect(kinds('abc4155550100 and 41555501001234567890123')).toEqual([]);
  });

  it('masks values and finds echoes across formatting', () => {
    const [email, phone] = detectPii('jane@example.com +1 415 555 0100');
    expect(email && maskPii(email)).toBe('email j•••@example.com');
    expect(phone && maskPii(phone)).toBe('phone ••••0100');
    const values = detectPii('reach me at jane@example.com or 415-555-0100');
    expect(findEchoes('We will call (415) 555-0100 today', values).map((value) => value.kind)).toEqual([
      'phone',
    ]);
    expect(findEchoes('Sent to JANE@example.com', values).map((value) => value.kind)).toEqual(['email']);
    expect(findEchoes('Nothing personal here, order 10420.', values)).toEqual([]);
  });

  it('stays fast on hostile input', () => {
    const started = Date.now();
    detectPii(`${'1'.repeat(50_000)} ${'a'.repeat(50_000)}@`);
    detectPii('1-'.repeat(50_000));
    detectPii(`${'a.'.repeat(40_000)}@b`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
