import { randomUUID } from 'node:crypto';
import { type Cache, createMemoryCache, createUpstashCache, type RemoteCache } from '@lumay/shared';
import { createRedisCache } from '@lumay/shared/node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../support/services.ts';
import { startUpstashBridge, type UpstashBridge } from '../../support/upstash-bridge.ts';

/** Every key this file writes starts with this, so parallel files and runs never collide. */
const RUN_PREFIX = `test:cache-adapters:${randomUUID()}:`;

interface Subject {
  name: string;
  /** Whether values live in the shared Redis (then the raw client can inspect them). */
  redisBacked: boolean;
  open(prefix: string): Promise<Cache>;
}

let bridge: UpstashBridge;
let raw: Redis;
const opened: Cache[] = [];

beforeAll(async () => {
  bridge = await startUpstashBridge();
  raw = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await Promise.all(opened.map((cache) => cache.close()));
  const keys = await raw.keys(`${RUN_PREFIX}*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
  await bridge?.close();
});

async function track<T extends Cache>(cache: T): Promise<T> {
  opened.push(cache);
  return cache;
}

// Generous deadlines here: this suite is about behaviour, and parallel test files load the machine.
// Deadlines and the breaker are exercised in resilience.test.ts and the fault tests.
const SUBJECTS: Subject[] = [
  {
    name: 'memory',
    redisBacked: false,
    open: async () => track(createMemoryCache()),
  },
  {
    name: 'redis-tcp',
    redisBacked: true,
    open: async (prefix) =>
      track(createRedisCache({ url: TEST_REDIS_URL, keyPrefix: prefix, timeoutMs: 500 })),
  },
  {
    name: 'upstash (through the REST bridge)',
    redisBacked: true,
    open: async (prefix) =>
      track(createUpstashCache({ url: bridge.url, token: bridge.token, keyPrefix: prefix, timeoutMs: 500 })),
  },
];

const VALUES: Array<[string, unknown]> = [
  [
    'nested JSON',
    { agent: { id: 'agt_1', tags: ['a', 'b'], limits: { daily: 10, ratio: 0.25 }, flags: [true, false] } },
  ],
  ['unicode', 'Grüße, 你好, مرحبا, 👩🏽‍💻, e\u0301, \u0000 and "quotes" \\ slashes'],
  ['an integer', 42],
  ['zero', 0],
  ['a negative float', -1.5],
  ['a large number', Number.MAX_SAFE_INTEGER],
  ['an exponent', 1e21],
  ['null', null],
  ['true', true],
  ['false', false],
  ['the empty string', ''],
  ['a string that looks like a number', '42'],
  ['a string that looks like JSON', '{"a":1}'],
  ['the string OK', 'OK'],
  ['a string that is valid base64', 'SGVsbG8='],
  ['an array of mixed values', [1, 'two', null, { three: [3] }, []]],
  ['an empty object', {}],
];

describe.each(SUBJECTS)('cache adapter: $name', (subject) => {
  let cache: Cache;
  let prefix: string;

  beforeAll(async () => {
    prefix = `${RUN_PREFIX}${subject.name.split(' ')[0]}:`;
    cache = await subject.open(prefix);
  });

  it('misses on a key that was never set', async () => {
    expect(await cache.get('t:1:never-set')).toBeUndefined();
  });

  it.each(VALUES)('round-trips %s identically', async (_label, value) => {
    const key = `t:1:value:${randomUUID()}`;
    await cache.set(key, value, 60);
    expect(await cache.get(key)).toStrictEqual(value);
  });

  it('overwrites a value', async () => {
    await cache.set('t:1:overwrite', { version: 1 }, 60);
    await cache.set('t:1:overwrite', { version: 2 }, 60);
    expect(await cache.get('t:1:overwrite')).toEqual({ version: 2 });
  });

  it('expires a value after its TTL', async () => {
    await cache.set('t:1:short-lived', 'soon gone', 1);
    await cache.set('t:1:long-lived', 'still here', 60);
    expect(await cache.get('t:1:short-lived')).toBe('soon gone');
    await sleep(1_150);
    expect(await cache.get('t:1:short-lived')).toBeUndefined();
    expect(await cache.get('t:1:long-lived')).toBe('still here');
  });

  it('deletes one or several keys, and ignores an empty call', async () => {
    await cache.set('t:1:del:a', 'a', 60);
    await cache.set('t:1:del:b', 'b', 60);
    await cache.set('t:1:del:c', 'c', 60);
    await cache.delete('t:1:del:a');
    expect(await cache.get('t:1:del:a')).toBeUndefined();
    await cache.delete('t:1:del:b', 't:1:del:c', 't:1:del:missing');
    expect(await cache.get('t:1:del:b')).toBeUndefined();
    expect(await cache.get('t:1:del:c')).toBeUndefined();
    await cache.delete();
  });

  it('treats setting undefined as removing the key', async () => {
    await cache.set('t:1:undefined', 'before', 60);
    await cache.set('t:1:undefined', undefined, 60);
    expect(await cache.get('t:1:undefined')).toBeUndefined();
  });

  it('increments a counter whose window starts at the first increment', async () => {
    const key = `t:1:counter:${randomUUID()}`;
    expect(await cache.increment(key, 1)).toBe(1);
    expect(await cache.increment(key, 1)).toBe(2);
    expect(await cache.increment(key, 60)).toBe(3);
    // A counter reads back as a number (the rate limiter's `peek`).
    expect(await cache.get(key)).toBe(3);
    // The later, longer TTL did not extend the window: it still expires one second after the first hit.
    await sleep(1_150);
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.increment(key, 60)).toBe(1);
  });

  it('counts concurrent increments exactly', async () => {
    const key = `t:1:concurrent:${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 25 }, () => cache.increment(key, 60)));
    expect([...results].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 25 }, (_, index) => index + 1),
    );
  });
});

describe.each(SUBJECTS.filter((subject) => subject.redisBacked))(
  'cache adapter over Redis: $name',
  (subject) => {
    let cache: RemoteCache;
    let prefix: string;

    beforeAll(async () => {
      prefix = `${RUN_PREFIX}stored:${subject.name.split(' ')[0]}:`;
      cache = (await subject.open(prefix)) as RemoteCache;
    });

    it('stores JSON under the prefixed key with the TTL in whole seconds', async () => {
      await cache.set('t:1:stored', { a: [1, 'é'] }, 30);
      await cache.set('t:1:fraction', 'x', 0.2);
      expect(await raw.get(`${prefix}t:1:stored`)).toBe('{"a":[1,"é"]}');
      const ttl = await raw.ttl(`${prefix}t:1:stored`);
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
      expect(await raw.ttl(`${prefix}t:1:fraction`)).toBe(1);
      expect(await raw.exists('t:1:stored')).toBe(0);
    });

    it('gives a counter left without a TTL its window on the next increment', async () => {
      await raw.set(`${prefix}t:1:immortal`, '7');
      expect(await cache.increment('t:1:immortal', 30)).toBe(8);
      expect(await raw.ttl(`${prefix}t:1:immortal`)).toBeGreaterThan(25);
    });

    it('reads a value it cannot parse as a miss, without counting it as a failure', async () => {
      await raw.set(`${prefix}t:1:foreign`, 'not json at all', 'EX', 60);
      for (let attempt = 0; attempt < 6; attempt++) expect(await cache.get('t:1:foreign')).toBeUndefined();
      expect(cache.circuitState).toBe('closed');
    });
  },
);

describe('the two Redis adapters share one storage format', () => {
  it('reads at the edge what a Node instance wrote, and the other way round', async () => {
    const prefix = `${RUN_PREFIX}shared:`;
    const tcp = await track(createRedisCache({ url: TEST_REDIS_URL, keyPrefix: prefix, timeoutMs: 500 }));
    const upstash = await track(
      createUpstashCache({ url: bridge.url, token: bridge.token, keyPrefix: prefix, timeoutMs: 500 }),
    );
    for (const [, value] of VALUES) {
      await tcp.set('t:1:from-node', value, 60);
      expect(await upstash.get('t:1:from-node')).toStrictEqual(value);
      await upstash.set('t:1:from-edge', value, 60);
      expect(await tcp.get('t:1:from-edge')).toStrictEqual(value);
    }
    expect(await tcp.increment('t:1:shared-counter', 60)).toBe(1);
    expect(await upstash.increment('t:1:shared-counter', 60)).toBe(2);
    await upstash.delete('t:1:from-node');
    expect(await tcp.get('t:1:from-node')).toBeUndefined();
    // Every request asked for the SDK's default base64 responses, so the unicode above went through it.
    expect(bridge.base64Requests).toBeGreaterThan(0);
    expect(bridge.base64Requests).toBe(bridge.requests['/']);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
