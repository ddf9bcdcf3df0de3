import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, login } from '../support/client.ts';
import { createNodeTargets } from '../support/node-target.ts';
import type { HttpTarget } from '../support/spawned-server.ts';

/**
 * Two Node instances behind an imaginary load balancer, sharing Postgres, Redis and RabbitMQ: a
 * change made through one is what the other serves next, with no restart and no waiting for a TTL.
 */
describe('two Node instances sharing Redis and RabbitMQ', () => {
  let first: HttpTarget;
  let second: HttpTarget;

  beforeAll(async () => {
    [first, second] = (await createNodeTargets(2)) as [HttpTarget, HttpTarget];
  });
  afterAll(async () => {
    await Promise.allSettled([first?.close(), second?.close()]);
  });

  it('sees agent changes made through the other instance (cached reads are invalidated)', async () => {
    const a = client(first);
    const b = client(second);
    const tokenA = await login(a, first.demo.email, first.demo.password);
    const tokenB = await login(b, second.demo.email, second.demo.password);

    const created = await a.post('/v1/agents', { name: 'Shared agent' }, { token: tokenA });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Both instances read (and so cache) version 1.
    expect((await a.get(`/v1/agents/${id}`, { token: tokenA })).body.version).toBe(1);
    expect((await b.get(`/v1/agents/${id}`, { token: tokenB })).body.version).toBe(1);

    for (let round = 2; round <= 4; round++) {
      const writer = round % 2 === 0 ? b : a;
      const reader = round % 2 === 0 ? a : b;
      const updated = await writer.patch(
        `/v1/agents/${id}`,
        { name: `Shared agent v${round}` },
        { token: writer === a ? tokenA : tokenB },
      );
      expect(updated.status).toBe(200);
      expect(updated.body.version).toBe(round);
      const seen = await reader.get(`/v1/agents/${id}`, { token: reader === a ? tokenA : tokenB });
      expect(seen.body).toMatchObject({ version: round, name: `Shared agent v${round}` });
    }

    const removed = await b.delete(`/v1/agents/${id}`, { token: tokenB });
    expect(removed.status).toBe(204);
    expect((await a.get(`/v1/agents/${id}`, { token: tokenA })).status).toBe(404);
  });

  it('applies a member removal made on one instance to requests served by the other', async () => {
    const a = client(first);
    const b = client(second);
    const ownerToken = await login(a, first.demo.email, first.demo.password);
    const email = `mi-${Date.now()}@test.lumay`;
    const invited = await a.post(
      '/v1/members',
      { email, role: 'builder', password: 'multi-instance-password' },
      { token: ownerToken },
    );
    expect(invited.status).toBe(201);
    const memberToken = await login(b, email, 'multi-instance-password');
    expect((await b.get('/v1/agents', { token: memberToken })).status).toBe(200);
    expect((await a.delete(`/v1/members/${invited.body.member.userId}`, { token: ownerToken })).status).toBe(
      204,
    );
    expect((await b.get('/v1/agents', { token: memberToken })).status).toBe(401);
  });
});
