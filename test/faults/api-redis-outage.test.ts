import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, login } from '../support/client.ts';
import { createNodeTarget } from '../support/node-target.ts';
import { redisUp, sleep, startRedis, stopRedis, summary } from '../support/redis-control.ts';
import type { HttpTarget } from '../support/spawned-server.ts';

/**
 * Redis stopped while requests flow through the Node target: every request still answers correctly
 * (the cache degrades to misses behind its circuit breaker, rate limits fall back to a local limiter)
 * and latency stays bounded by the cache timeout; after Redis returns the API carries on.
 */
describe('the Node API while Redis is down', () => {
  let target: HttpTarget;
  let api: Client;
  let token: string;
  let agentId: string;

  beforeAll(async () => {
    await startRedis();
    target = await createNodeTarget();
    api = client(target);
    token = await login(api, target.demo.email, target.demo.password);
    const created = await api.post('/v1/agents', { name: 'Outage probe' }, { token });
    expect(created.status).toBe(201);
    agentId = created.body.id;
  });
  afterAll(async () => {
    await startRedis();
    await target?.close();
  });

  async function flow(ms: number) {
    const latencies: number[] = [];
    const failures: string[] = [];
    const deadline = Date.now() + ms;
    let round = 0;
    while (Date.now() < deadline) {
      round += 1;
      const started = performance.now();
      // Alternate a cached read, a list (database) and a write, so every path is exercised.
      const response =
        round % 10 === 0
          ? await api.patch(`/v1/agents/${agentId}`, { description: `round ${round}` }, { token })
          : round % 3 === 0
            ? await api.get('/v1/agents?limit=5', { token })
            : await api.get(`/v1/agents/${agentId}`, { token });
      latencies.push(performance.now() - started);
      if (response.status !== 200) failures.push(`${response.status} ${response.text.slice(0, 120)}`);
      await sleep(5);
    }
    return { ...summary(latencies), failures };
  }

  it('keeps answering with bounded latency, and sees its own writes, until Redis is back', async () => {
    try {
      const healthy = await flow(1_500);
      stopRedis();
      expect(redisUp()).toBe(false);
      const outage = await flow(4_000);
      // A write made during the outage is what the next read serves (no stale cache entry survives).
      const write = await api.patch(
        `/v1/agents/${agentId}`,
        { name: 'Written while Redis was down' },
        { token },
      );
      expect(write.status).toBe(200);
      const read = await api.get(`/v1/agents/${agentId}`, { token });
      expect(read.body.name).toBe('Written while Redis was down');
      await startRedis();
      const recovered = await flow(2_000);
      console.log('api figures during a Redis outage (ms):', JSON.stringify({ healthy, outage, recovered }));

      expect(healthy.failures).toEqual([]);
      expect(outage.failures).toEqual([]);
      expect(recovered.failures).toEqual([]);
      expect(outage.calls).toBeGreaterThan(50);
      // Bounded by the cache timeout (50 ms per cache call, a few calls per request before the
      // breaker opens), not by TCP or client retry defaults (seconds).
      expect(outage.max).toBeLessThan(1_000);
      expect(outage.p99).toBeLessThan(300);
    } finally {
      await startRedis();
    }
  });
});
