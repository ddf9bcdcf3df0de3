import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createUpstashCache, type RemoteCache, readThrough } from '@lumay/shared';
import { createRedisCache } from '@lumay/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../support/services.ts';
import { startUpstashBridge, type UpstashBridge } from '../../support/upstash-bridge.ts';

/**
 * Outages that do not disturb the shared Redis: a closed port, a hung REST endpoint, a wrong token.
 * Stopping the real Redis is in test/faults/redis-outage.test.ts.
 */
const RUN_PREFIX = `test:cache-resilience:${randomUUID()}:`;
const TIMEOUT_MS = 50;
/** Scheduling slack on a loaded test machine; the point is "about the deadline", not "seconds". */
const MARGIN_MS = 150;

let bridge: UpstashBridge;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  bridge = await startUpstashBridge();
});
afterAll(async () => {
  for (const close of closers) await close();
  await bridge?.close();
});

function keep<T extends { close(): Promise<void> }>(resource: T): T {
  closers.push(() => resource.close());
  return resource;
}

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function timed<T>(operation: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await operation();
  return { value, ms: performance.now() - started };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.each([
  {
    name: 'upstash',
    open: async (port: number, log: (message: string) => void) =>
      createUpstashCache({ url: `http://127.0.0.1:${port}`, token: 'x', timeoutMs: TIMEOUT_MS, log }),
  },
  {
    name: 'redis-tcp',
    open: async (port: number, log: (message: string) => void) =>
      createRedisCache({
        url: `redis://127.0.0.1:${port}`,
        timeoutMs: TIMEOUT_MS,
        log,
        connectTimeoutMs: 200,
      }),
  },
])('$name adapter pointed at a closed port', ({ open }) => {
  it('answers every call with a miss within the deadline, opens its circuit and logs it once', async () => {
    const messages: string[] = [];
    const cache = keep(await open(await closedPort(), (message) => messages.push(message)));
    for (let call = 0; call < 20; call++) {
      const { value, ms } = await timed(() => cache.get('t:1:anything'));
      expect(value).toBeUndefined();
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }
    await cache.set('t:1:anything', { a: 1 }, 60);
    await cache.delete('t:1:anything');
    expect(await cache.increment('t:1:counter', 60)).toBeUndefined();
    expect(cache.circuitState).toBe('open');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/unavailable after 5 consecutive failures/);

    // With the circuit open a read-through costs nothing but the loader.
    const { value, ms } = await timed(() => readThrough(cache, 't:1:config', 60, async () => 'from source'));
    expect(value).toBe('from source');
    expect(ms).toBeLessThan(20);
  });
});

describe('upstash adapter against a hung endpoint', () => {
  it('gives up at the deadline, stops calling once open, probes after the cool-down and recovers', async () => {
    const messages: string[] = [];
    const cache: RemoteCache = createUpstashCache({
      url: bridge.url,
      token: bridge.token,
      keyPrefix: RUN_PREFIX,
      timeoutMs: TIMEOUT_MS,
      failureThreshold: 3,
      coolDownMs: 300,
      log: (message) => messages.push(message),
    });
    await cache.set('t:1:kept', 'value', 60);
    expect(await cache.get('t:1:kept')).toBe('value');

    bridge.hang(true);
    for (let call = 0; call < 3; call++) {
      const { value, ms } = await timed(() => cache.get('t:1:kept'));
      expect(value).toBeUndefined();
      // It waited for the answer (the deadline is what ended the call), but not much longer.
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.8);
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }
    expect(cache.circuitState).toBe('open');

    const requestsWhenOpened = bridge.requests['/'];
    for (let call = 0; call < 50; call++) {
      const { value, ms } = await timed(() => cache.get('t:1:kept'));
      expect(value).toBeUndefined();
      expect(ms).toBeLessThan(10);
    }
    expect(bridge.requests['/']).toBe(requestsWhenOpened);

    // After the cool-down exactly one probe goes out; it hangs too, so the circuit re-opens.
    await sleep(320);
    expect(cache.circuitState).toBe('half-open');
    const [probe, concurrent] = await Promise.all([cache.get('t:1:kept'), cache.get('t:1:kept')]);
    expect([probe, concurrent]).toEqual([undefined, undefined]);
    expect(bridge.requests['/']).toBe((requestsWhenOpened ?? 0) + 1);
    expect(cache.circuitState).toBe('open');

    bridge.hang(false);
    await sleep(320);
    expect(await cache.get('t:1:kept')).toBe('value');
    expect(cache.circuitState).toBe('closed');
    expect(messages).toEqual([
      expect.stringMatching(/^cache upstash: unavailable after 3 consecutive failures.*TimeoutError/),
      'cache upstash: available again',
    ]);
  });

  it('treats a rejected token as unavailability, not as data', async () => {
    const cache = createUpstashCache({
      url: bridge.url,
      token: 'not-the-token',
      timeoutMs: TIMEOUT_MS,
      log: () => {},
    });
    for (let call = 0; call < 5; call++) expect(await cache.get('t:1:anything')).toBeUndefined();
    expect(cache.circuitState).toBe('open');
  });
});

describe('redis-tcp invalidations', () => {
  it('delivers published keys to every subscribed instance until it unsubscribes', async () => {
    const prefix = `${RUN_PREFIX}inv:`;
    const first = keep(createRedisCache({ url: TEST_REDIS_URL, keyPrefix: prefix, timeoutMs: 500 }));
    const second = keep(createRedisCache({ url: TEST_REDIS_URL, keyPrefix: prefix, timeoutMs: 500 }));
    const elsewhere = keep(
      createRedisCache({ url: TEST_REDIS_URL, keyPrefix: `${RUN_PREFIX}other:`, timeoutMs: 500 }),
    );
    const received: Record<string, string[][]> = { first: [], second: [], elsewhere: [] };
    const unsubscribeFirst = await first.invalidations?.subscribe((keys) => received.first?.push(keys));
    await second.invalidations?.subscribe((keys) => received.second?.push(keys));
    await elsewhere.invalidations?.subscribe((keys) => received.elsewhere?.push(keys));

    await first.invalidations?.publish(['t:1:agent:a', 't:1:flow:b']);
    await expect.poll(() => received.second).toEqual([['t:1:agent:a', 't:1:flow:b']]);
    await expect.poll(() => received.first).toEqual([['t:1:agent:a', 't:1:flow:b']]);

    unsubscribeFirst?.();
    await second.invalidations?.publish(['t:1:agent:c']);
    await expect.poll(() => received.second).toHaveLength(2);
    expect(received.first).toHaveLength(1);
    // A different key prefix is a different deployment: its invalidations never cross over.
    expect(received.elsewhere).toEqual([]);
  });

  it('is part of the TCP adapter only', () => {
    expect(createUpstashCache({ url: bridge.url, token: bridge.token }).invalidations).toBeUndefined();
  });
});
