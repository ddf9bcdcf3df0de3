import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './transport-failure.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('prefers retry-after-ms, then retry-after seconds, then an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250.4', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Fri, 01 May 2026 12:00:05 GMT' }), now)).toBe(5000);
  });

  it('ignores missing, negative and unparseable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '-5', 'retry-after': '1' }), now)).toBe(1000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Fri, 01 May 2026 11:00:00 GMT' }), now)).toBe(0);
  });
});
