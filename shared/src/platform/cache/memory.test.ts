import { describe, expect, it } from 'vitest';
import { createMemoryCache } from './memory.ts';

function clocked(maxEntries?: number) {
  let now = 1_000_000;
  const cache = createMemoryCache({ now: () => now, ...(maxEntries ? { maxEntries } : {}) });
  return { cache, advance: (ms: number) => (now += ms) };
}

describe('createMemoryCache', () => {
  it('stores and returns values until their TTL passes', async () => {
    const { cache, advance } = clocked();
    await cache.set('k', { a: 1 }, 10);
    expect(await cache.get('k')).toEqual({ a: 1 });
    advance(9_999);
    expect(await cache.get('k')).toEqual({ a: 1 });
    advance(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('returns copies, so callers cannot change what is cached', async () => {
    const { cache } = clocked();
    const value = { list: [1] };
    await cache.set('k', value, 60);
    value.list.push(2);
    const read = await cache.get<{ list: number[] }>('k');
    expect(read).toEqual({ list: [1] });
    read?.list.push(3);
    expect(await cache.get('k')).toEqual({ list: [1] });
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const { cache } = clocked(3);
    await cache.set('a', 1, 60);
    await cache.set('b', 2, 60);
    await cache.set('c', 3, 60);
    expect(await cache.get('a')).toBe(1); // a is now the most recently used
    await cache.set('d', 4, 60);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('c')).toBe(3);
    expect(await cache.get('d')).toBe(4);
  });

  it('overwrites a key in place without evicting others', async () => {
    const { cache } = clocked(2);
    await cache.set('a', 1, 60);
    await cache.set('b', 2, 60);
    await cache.set('a', 10, 60);
    expect(await cache.get('a')).toBe(10);
    expect(await cache.get('b')).toBe(2);
  });

  it('increments counters that expire a window after their first increment', async () => {
    const { cache, advance } = clocked();
    expect(await cache.increment('n', 5)).toBe(1);
    advance(4_000);
    expect(await cache.increment('n', 5)).toBe(2);
    expect(await cache.get('n')).toBe(2);
    advance(1_000);
    // The window is fixed from the first hit: later hits do not extend it.
    expect(await cache.increment('n', 5)).toBe(1);
  });

  it('restarts a counter over a non-number value', async () => {
    const { cache } = clocked();
    await cache.set('n', 'text', 60);
    expect(await cache.increment('n', 60)).toBe(1);
  });

  it('deletes several keys and clears on close', async () => {
    const { cache } = clocked();
    await cache.set('a', 1, 60);
    await cache.set('b', 2, 60);
    await cache.set('c', 3, 60);
    await cache.delete('a', 'b', 'missing');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe(3);
    await cache.close();
    expect(await cache.get('c')).toBeUndefined();
    expect(cache.name).toBe('memory');
  });
});
