import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type RemoteCache, readThrough } from '@lumay/shared';
import { createRedisCache } from '@lumay/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  redisUp,
  START_REDIS,
  sleep,
  startRedis,
  stopRedis,
  summary,
  waitFor,
} from '../support/redis-control.ts';
import { TEST_REDIS_URL } from '../support/services.ts';

/**
 * Stops and restarts the shared Redis under a steady stream of read-through calls: the cache must
 * degrade to the loader with bounded latency, open its circuit, and come back by itself.
 */
const TIMEOUT_MS = 50;
const PREFIX = `test:redis-outage:${randomUUID()}:`;

/** A steady stream of read-throughs, one every `intervalMs`, recording latency and correctness. */
function createStream(cache: RemoteCache, intervalMs = 5) {
  let version = 0;
  let loads = 0;
  const load = async () => {
    loads += 1;
    return { version, tenant: 't1' };
  };
  return {
    get loads() {
      return loads;
    },
    /** Bumps the source of truth and evicts the entry, as a config change would. */
    async change() {
      version += 1;
      await cache.delete('t:t1:config');
    },
    /** Runs until `stop()` returns true (checked after every call) or `maxMs` passes. */
    async run(maxMs: number, stop: (hit: boolean) => boolean = () => false) {
      const latencies: number[] = [];
      let wrong = 0;
      let hits = 0;
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline) {
        const loadsBefore = loads;
        const started = performance.now();
        const value = await readThrough(cache, 't:t1:config', 60, load);
        latencies.push(performance.now() - started);
        if (value.version !== version || value.tenant !== 't1') wrong += 1;
        const hit = loads === loadsBefore;
        if (hit) hits += 1;
        if (stop(hit)) break;
        await sleep(intervalMs);
      }
      return { latencies, wrong, hits };
    },
  };
}

describe('Redis outage under read-through load', () => {
  let cache: RemoteCache;
  let peer: RemoteCache;
  const logged: string[] = [];

  beforeAll(async () => {
    await startRedis();
    cache = createRedisCache({
      url: TEST_REDIS_URL,
      timeoutMs: TIMEOUT_MS,
      keyPrefix: PREFIX,
      log: (message) => logged.push(message),
    });
    peer = createRedisCache({ url: TEST_REDIS_URL, keyPrefix: PREFIX, log: () => {} });
  });

  afterAll(async () => {
    // Whatever happened above, leave Redis running for whoever comes next.
    await startRedis();
    await cache?.close();
    await peer?.close();
  });

  it('serves the loader’s value with bounded latency while Redis is down, and recovers', async () => {
    const stream = createStream(cache);

    const healthy = await stream.run(1_000);
    expect(healthy.wrong).toBe(0);
    expect(healthy.hits).toBeGreaterThan(healthy.latencies.length - 5);
    expect(cache.circuitState).toBe('closed');

    stopRedis();
    expect(redisUp()).toBe(false);
    const stoppedAt = Date.now();
    let openedAfterMs = Number.NaN;
    const outage = await stream.run(3_000, () => {
      if (Number.isNaN(openedAfterMs) && cache.circuitState !== 'closed')
        openedAfterMs = Date.now() - stoppedAt;
      return false;
    });
    const loadsDuringOutage = outage.latencies.length - outage.hits;

    // A config change while Redis is down is visible at once: every call goes to the source.
    await stream.change();
    const changedDuringOutage = await stream.run(200);

    execSync(START_REDIS, { stdio: 'pipe' });
    const restartedAt = Date.now();
    let hitsInARow = 0;
    const recovery = await stream.run(15_000, (hit) => {
      hitsInARow = hit ? hitsInARow + 1 : 0;
      return hitsInARow >= 20;
    });
    const recoveredAfterMs = Date.now() - restartedAt;

    const figures = {
      healthy: summary(healthy.latencies),
      outage: { ...summary(outage.latencies), loads: loadsDuringOutage, circuitOpenAfterMs: openedAfterMs },
      recovery: { ...summary(recovery.latencies), hitsBackAfterMs: recoveredAfterMs },
    };
    console.log(`redis outage figures (timeoutMs ${TIMEOUT_MS}): ${JSON.stringify(figures)}`);
    console.log(`redis outage log: ${JSON.stringify(logged)}`);

    expect(outage.wrong + changedDuringOutage.wrong + recovery.wrong).toBe(0);
    expect(outage.latencies.length).toBeGreaterThan(100);
    // Redis down means every call fell through to the loader.
    expect(outage.hits).toBe(0);
    expect(figures.outage.p99).toBeLessThan(TIMEOUT_MS + 20);
    expect(figures.outage.max).toBeLessThan(250);
    expect(openedAfterMs).toBeLessThan(500);
    expect(hitsInARow).toBe(20);
    expect(recoveredAfterMs).toBeLessThan(6_000);
    expect(cache.circuitState).toBe('closed');
    expect(figures.recovery.max).toBeLessThan(250);
    expect(logged).toEqual([
      expect.stringMatching(/^cache redis-tcp: unavailable after 5 consecutive failures/),
      'cache redis-tcp: available again',
    ]);
  });

  it('re-subscribes invalidations after Redis came back', async () => {
    const received: string[][] = [];
    await cache.invalidations?.subscribe((keys) => received.push(keys));
    await peer.invalidations?.publish(['t:t1:before']);
    await expect.poll(() => received).toEqual([['t:t1:before']]);

    stopRedis();
    await peer.invalidations?.publish(['t:t1:lost']);
    execSync(START_REDIS, { stdio: 'pipe' });
    expect(await waitFor(redisUp, 10_000)).toBe(true);

    // Until both connections are back a publish may be dropped (that is the contract), so retry.
    await expect
      .poll(
        async () => {
          await peer.invalidations?.publish(['t:t1:after']);
          return received.some((keys) => keys[0] === 't:t1:after');
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe(true);
    expect(received.some((keys) => keys[0] === 't:t1:lost')).toBe(false);
  });

  it('bounds each call by the deadline while Redis hangs, then opens the circuit', async () => {
    // Make sure the cache is warm and healthy first.
    const stream = createStream(cache);
    await stream.run(300);
    expect(cache.circuitState).toBe('closed');

    // CLIENT PAUSE holds every client's commands: a live socket that does not answer.
    execSync('redis-cli client pause 1500 ALL', { stdio: 'pipe' });
    const pausedAt = Date.now();
    let openedAfterMs = Number.NaN;
    const hung = await stream.run(1_200, () => {
      if (Number.isNaN(openedAfterMs) && cache.circuitState !== 'closed')
        openedAfterMs = Date.now() - pausedAt;
      return false;
    });
    const figures = { ...summary(hung.latencies), circuitOpenAfterMs: openedAfterMs };
    console.log(`redis hung figures (timeoutMs ${TIMEOUT_MS}): ${JSON.stringify(figures)}`);

    expect(hung.wrong).toBe(0);
    expect(figures.max).toBeLessThan(250);
    // Only the commands that opened the circuit (5: a read-through's get and set each count) waited
    // for the deadline; from then on the open circuit answered at once.
    const slow = hung.latencies.filter((ms) => ms >= TIMEOUT_MS * 0.8);
    expect(slow.length).toBeGreaterThanOrEqual(2);
    expect(slow.length).toBeLessThanOrEqual(4);
    expect(slow.reduce((total, ms) => total + ms, 0)).toBeLessThan(5 * TIMEOUT_MS + 100);
    expect(hung.latencies.length).toBeGreaterThan(100);
    expect(cache.circuitState).not.toBe('closed');

    let hitsInARow = 0;
    await stream.run(10_000, (hit) => {
      hitsInARow = hit ? hitsInARow + 1 : 0;
      return hitsInARow >= 10;
    });
    expect(hitsInARow).toBe(10);
    expect(cache.circuitState).toBe('closed');
  });
});
