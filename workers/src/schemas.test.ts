import { describe, expect, it } from 'vitest';
import { jsonDepthWithin } from './schemas.ts';

/** `levels` arrays nested inside each other, built without recursion. */
function nested(levels: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

describe('jsonDepthWithin', () => {
  it('counts object and array levels, scalars add none', () => {
    expect(jsonDepthWithin('text', 0)).toBe(true);
    expect(jsonDepthWithin({}, 0)).toBe(false);
    expect(jsonDepthWithin({ a: 1, b: 'x', c: null }, 1)).toBe(true);
    expect(jsonDepthWithin({ a: { b: [1] } }, 3)).toBe(true);
    expect(jsonDepthWithin({ a: { b: [1] } }, 2)).toBe(false);
    expect(jsonDepthWithin(nested(32), 32)).toBe(true);
    expect(jsonDepthWithin(nested(33), 32)).toBe(false);
  });

  it('finds the deep branch among shallow siblings', () => {
    expect(jsonDepthWithin({ shallow: 1, list: [1, 2, { deep: nested(10) }] }, 12)).toBe(false);
    expect(jsonDepthWithin({ shallow: 1, list: [1, 2, { deep: nested(10) }] }, 13)).toBe(true);
  });

  it('rejects nesting far beyond the call stack without overflowing it', () => {
    expect(jsonDepthWithin(nested(1_000_000), 32)).toBe(false);
  });
});
