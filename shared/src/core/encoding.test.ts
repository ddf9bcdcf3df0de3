import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fromBase64Url,
  sha256Hex,
  timingSafeEqual,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.ts';

describe('canonicalJson', () => {
  it('sorts object keys recursively, so key order never changes the output', () => {
    const left = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } };
    const right = { a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(left)).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(right)).toBe(canonicalJson(left));
  });

  it('keeps array order (it is meaningful)', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined properties and renders undefined and null as null', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(null)).toBe('null');
  });

  it('renders dates as ISO strings, equal to their JSON round trip', () => {
    const date = new Date('2025-01-02T03:04:05.678Z');
    expect(canonicalJson({ at: date })).toBe('{"at":"2025-01-02T03:04:05.678Z"}');
    expect(canonicalJson(JSON.parse(JSON.stringify({ at: date })))).toBe(canonicalJson({ at: date }));
  });

  it('escapes strings and keys like JSON', () => {
    expect(canonicalJson({ 'k"\n': 'v"\\' })).toBe(JSON.stringify({ 'k"\n': 'v"\\' }));
    expect(JSON.parse(canonicalJson({ x: 'ünïcode ✓', n: -1.5, t: true }))).toEqual({
      x: 'ünïcode ✓',
      n: -1.5,
      t: true,
    });
  });

  it('sorts by code unit, not locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3 })).toBe('{"B":2,"a":3,"b":1}');
  });
});

describe('byte helpers', () => {
  it('round-trips base64url without padding or +/', () => {
    const bytes = new Uint8Array([251, 255, 191, 0, 1, 2, 62, 63]);
    const encoded = toBase64Url(bytes);
    expect(encoded).not.toMatch(/[+/=]/);
    expect([...fromBase64Url(encoded)]).toEqual([...bytes]);
    for (let length = 0; length < 6; length++) {
      const sample = new Uint8Array(length).map((_, index) => index * 37);
      expect([...fromBase64Url(toBase64Url(sample))]).toEqual([...sample]);
    }
  });

  it('hashes UTF-8 with SHA-256 as lowercase hex', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(utf8('é'))).toBe('c3a9');
  });

  it('compares strings in constant time semantics: equal only when identical', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
  });
});
