import { ExpressionError } from './expression-error.ts';
import { isPlainRecord, looseEquals, stringifyValue, toNumber } from './expression-values.ts';
import { checkPattern, safeMatch } from './safe-pattern.ts';

/** The longest pattern `matches(s, pattern)` accepts. */
export const MAX_MATCHES_PATTERN_LENGTH = 200;

/** A whitelisted function: fixed arity, pure, never throws on ordinary type mismatches. */
export interface ExpressionFunction {
  readonly arity: number;
  readonly call: (args: readonly unknown[]) => unknown;
  /** Parse-time check of a literal argument (used by `matches` to refuse bad patterns early). */
  readonly check?: (literal: unknown, source: string) => void;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function checkMatchesPattern(pattern: unknown, source: string): string {
  if (typeof pattern !== 'string') throw new ExpressionError('matches() needs a string pattern', source);
  const problem = checkPattern(pattern, MAX_MATCHES_PATTERN_LENGTH);
  if (problem)
    throw new ExpressionError(`matches(): ${problem}`, source, Math.max(0, source.indexOf('matches')));
  return pattern;
}

/** The functions expressions may call, by name. */
export const EXPRESSION_FUNCTIONS: Readonly<Record<string, ExpressionFunction>> = Object.freeze({
  /** `contains(text, part)`, `contains(list, item)` or `contains(record, key)`. */
  contains: {
    arity: 2,
    call: ([haystack, needle]) => {
      if (typeof haystack === 'string') return haystack.includes(stringifyValue(needle));
      if (Array.isArray(haystack)) return haystack.some((item) => looseEquals(item, needle));
      if (isPlainRecord(haystack) && typeof needle === 'string') return Object.hasOwn(haystack, needle);
      return false;
    },
  },
  startsWith: {
    arity: 2,
    call: ([text, prefix]) => {
      const value = textOf(text);
      return value?.startsWith(stringifyValue(prefix)) === true;
    },
  },
  endsWith: {
    arity: 2,
    call: ([text, suffix]) => {
      const value = textOf(text);
      return value?.endsWith(stringifyValue(suffix)) === true;
    },
  },
  lower: { arity: 1, call: ([value]) => stringifyValue(value).toLowerCase() },
  upper: { arity: 1, call: ([value]) => stringifyValue(value).toUpperCase() },
  /** Length of a string or list, key count of a record, 0 for anything else. */
  len: {
    arity: 1,
    call: ([value]) => {
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (isPlainRecord(value)) return Object.keys(value).length;
      return 0;
    },
  },
  /** A number from a number, numeric string or boolean; `null` when there is none. */
  number: { arity: 1, call: ([value]) => toNumber(value) ?? null },
  /** `matches(text, pattern)`: a guarded regular expression test (see `safe-pattern.ts`). */
  matches: {
    arity: 2,
    call: ([text, pattern]) => {
      const checked = checkMatchesPattern(pattern, 'matches');
      const value = textOf(text);
      return value !== undefined && safeMatch(checked, value);
    },
    check: (pattern, source) => {
      checkMatchesPattern(pattern, source);
    },
  },
});
