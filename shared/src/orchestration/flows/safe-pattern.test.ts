import { describe, expect, it } from 'vitest';
import { checkPattern, compileSafePattern, safeMatch } from './safe-pattern.ts';

describe('checkPattern', () => {
  it.each([
    '^\\d{5}$',
    '^[A-Z]{2}-\\d+$',
    '^(?:\\+?\\d{1,3})?[ -]?\\d{6,12}$',
    '^(foo|bar)$',
    '^(foo|bar){1,3}$',
    '^(?<year>\\d{4})-(\\d{2})$',
    '(?=.*\\d)[a-z\\d]{8,}',
    '[(+*]+',
    '\\(a+\\)+',
    'a+b+c+',
  ])('accepts %s', (pattern) => {
    expect(checkPattern(pattern)).toBeUndefined();
  });

  it.each([
    ['(a+)+$', /nested quantifiers/],
    ['(a*)*', /nested quantifiers/],
    ['((ab)+c)+', /nested quantifiers/],
    ['(\\w+\\s?){2,}', /nested quantifiers/],
    ['(?:a+){1,5}', /nested quantifiers/],
    ['(a|aa)+', /alternation/],
    ['(a|b)*c', /alternation/],
    ['(a|b){2,}', /alternation/],
    ['(x)\\1', /backreferences/],
    ['(?<n>x)\\k<n>', /backreferences/],
    ['(', /invalid pattern/],
    ['', /empty/],
  ])('refuses %s', (pattern, message) => {
    expect(checkPattern(pattern)).toMatch(message);
  });

  it('limits the pattern length', () => {
    expect(checkPattern('a'.repeat(501))).toMatch(/longer than 500/);
    expect(checkPattern('a'.repeat(21), 20)).toMatch(/longer than 20/);
  });
});

describe('compileSafePattern / safeMatch', () => {
  it('compiles, caches and matches', () => {
    expect(compileSafePattern('^\\d+$')).toBe(compileSafePattern('^\\d+$'));
    expect(safeMatch('^\\d+$', '123')).toBe(true);
    expect(safeMatch('^\\d+$', '12a')).toBe(false);
  });

  it('throws for refused patterns and answers false for over-long inputs', () => {
    expect(() => compileSafePattern('(a+)+')).toThrow(/nested/);
    expect(safeMatch('a', 'a'.repeat(10_001))).toBe(false);
  });
});
