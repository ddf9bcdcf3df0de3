/**
 * Value semantics shared by the expression evaluator and templates. They are deliberately tamer than
 * JavaScript's: no implicit object-to-string coercion, mismatched comparisons are false, and only plain
 * data (JSON-like values) is ever read.
 */

/** The longest string an expression may build (guards `+` on large values). */
export const MAX_STRING_LENGTH = 100_000;

/** A plain object (JSON-like record), not a class instance, array or function. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** JavaScript truthiness (empty string, 0, NaN, null, undefined and false are falsy). */
export function isTruthy(value: unknown): boolean {
  return Boolean(value);
}

/** A number from a number, a numeric string or a boolean; `undefined` when there is none. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    const parsed = Number(trimmed);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/**
 * Text for a value: strings as they are, numbers and booleans spelled out, `null`/`undefined` as empty,
 * arrays of scalars joined with ", ", anything else as JSON.
 */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (typeof value === 'function' || typeof value === 'symbol') return '';
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.map(stringifyValue).join(', ');
  }
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Structural equality of JSON-like values (depth-limited). */
export function strictEquals(left: unknown, right: unknown, depth = 0): boolean {
  if (left === right) return true;
  if (depth > 20) return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return (
      left.length === right.length && left.every((item, index) => strictEquals(item, right[index], depth + 1))
    );
  }
  if (isPlainRecord(left) && isPlainRecord(right)) {
    const keys = Object.keys(left);
    if (keys.length !== Object.keys(right).length) return false;
    return keys.every((key) => Object.hasOwn(right, key) && strictEquals(left[key], right[key], depth + 1));
  }
  return false;
}

/** `==`: strict equality, plus `null == undefined` and a number equal to a numeric string (`5 == "5"`). */
export function looseEquals(left: unknown, right: unknown): boolean {
  if (strictEquals(left, right)) return true;
  if (left === null || left === undefined) return right === null || right === undefined;
  if (typeof left === 'number' && typeof right === 'string') return toNumber(right) === left;
  if (typeof left === 'string' && typeof right === 'number') return toNumber(left) === right;
  return false;
}

/**
 * Orders two values for `< <= > >=`: numbers (or a number and a numeric string) numerically, two strings
 * by code unit. Anything else is unordered (`undefined`), which makes every comparison false.
 */
export function compareValues(left: unknown, right: unknown): number | undefined {
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  if (typeof left !== 'number' && typeof right !== 'number') return undefined;
  const a = typeof left === 'number' || typeof left === 'string' ? toNumber(left) : undefined;
  const b = typeof right === 'number' || typeof right === 'string' ? toNumber(right) : undefined;
  if (a === undefined || b === undefined) return undefined;
  return a - b;
}

/** A finite number, or `null` for NaN/Infinity (division by zero, arithmetic on non-numbers). */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
