import { describe, expect, it } from 'vitest';
import type { Cache } from './cache.ts';
import { createMemoryCache } from './memory.ts';
import { readThrough } from './read-through.ts';

function counter<T>(value: () => T) {
  let calls = 0;
  return {
    load: async () => {
      calls += 1;
      return value();
    },
    calls: () => calls,
  };
}

describe('readThrough', () => {
  it('loads on a miss, caches for the TTL, and serves hits without loading', async () => {
    let now = 0;
    const cache = createMemoryCache({ now: () => now });
    const source = counter(() => ({ name: 'Support' }));
    expect(await readThrough(cache, 't:1:agent:a', 60, source.load)).toEqual({ name: 'Support' });
    expect(await readThrough(cache, 't:1:agent:a', 60, source.load)).toEqual({ name: 'Support' });
    expect(source.calls()).toBe(1);
    expect(await cache.get('t:1:agent:a')).toEqual({ name: 'Support' });
    now += 60_000;
    await readThrough(cache, 't:1:agent:a', 60, source.load);
    expect(source.calls()).toBe(2);
  });

  it('keeps tenants apart by key', async () => {
    const cache = createMemoryCache();
    await readThrough(cache, 't:1:settings', 60, async () => 'tenant one');
    expect(await readThrough(cache, 't:2:settings', 60, async () => 'tenant two')).toBe('tenant two');
  });

  it('caches null (a known absence) but not undefined (a miss)', async () => {
    const cache = createMemoryCache();
    const absent = counter(() => null);
    await readThrough(cache, 't:1:null', 60, absent.load);
    await readThrough(cache, 't:1:null', 60, absent.load);
    expect(absent.calls()).toBe(1);

    const nothing = counter(() => undefined);
    await readThrough(cache, 't:1:undefined', 60, nothing.load);
    await readThrough(cache, 't:1:undefined', 60, nothing.load);
    expect(nothing.calls()).toBe(2);
  });

  it('lets loader errors through and caches nothing', async () => {
    const cache = createMemoryCache();
    await expect(
      readThrough(cache, 't:1:broken', 60, async () => {
        throw new Error('source down');
      }),
    ).rejects.toThrow('source down');
    expect(await cache.get('t:1:broken')).toBeUndefined();
  });

  it('falls through to the loader when a non-conforming cache rejects', async () => {
    const memory = createMemoryCache();
    // An adapter that breaks the port's "never throws" promise, as a third-party one might.
    const rejecting: Cache = {
      ...memory,
      name: 'rejecting',
      get: async () => {
        throw new Error('get failed');
      },
      set: async () => {
        throw new Error('set failed');
      },
    };
    expect(await readThrough(rejecting, 't:1:x', 60, async () => 'from source')).toBe('from source');
  });
});
