import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../support/client.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('agents API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'agents');
  });
  afterAll(() => target?.close());

  it('creates, reads, updates, lists and deletes an agent, auditing each change', async () => {
    const created = await api.post(
      '/v1/agents',
      { name: 'Support', description: 'Helps' },
      { token: owner.token },
    );
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^agt_/);
    expect(created.body).toMatchObject({ name: 'Support', status: 'draft', version: 1, language: 'en' });

    const fetched = await api.get(`/v1/agents/${created.body.id}`, { token: owner.token });
    expect(fetched.status).toBe(200);
    expect(fetched.body.name).toBe('Support');

    const updated = await api.patch(
      `/v1/agents/${created.body.id}`,
      { status: 'active' },
      { token: owner.token },
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ status: 'active', version: 2 });

    const stale = await api.patch(
      `/v1/agents/${created.body.id}`,
      { name: 'x', expectedVersion: 1 },
      { token: owner.token },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');

    const listed = await api.get('/v1/agents?status=active', { token: owner.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((agent: { id: string }) => agent.id)).toEqual([created.body.id]);
    expect(listed.body.nextCursor).toBeNull();

    const removed = await api.delete(`/v1/agents/${created.body.id}`, { token: owner.token });
    expect(removed.status).toBe(204);
    expect((await api.get(`/v1/agents/${created.body.id}`, { token: owner.token })).status).toBe(404);

    const audit = await api.get(`/v1/audit?resourceId=${created.body.id}`, { token: owner.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual([
      'agent.delete',
      'agent.update',
      'agent.create',
    ]);
    const outbox = await target.owner<{ topic: string }>('select topic from outbox where tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(outbox.filter((row) => row.topic === 'config.changed')).toHaveLength(3);
  });

  it('pages through agents with a cursor and filters by name', async () => {
    for (let index = 0; index < 5; index++) {
      const response = await api.post('/v1/agents', { name: `Pager ${index}` }, { token: owner.token });
      expect(response.status).toBe(201);
    }
    const first = await api.get('/v1/agents?limit=2&q=pager', { token: owner.token });
    expect(first.body.data.map((agent: { name: string }) => agent.name)).toEqual(['Pager 4', 'Pager 3']);
    const second = await api.get(`/v1/agents?limit=2&q=pager&cursor=${first.body.nextCursor}`, {
      token: owner.token,
    });
    expect(second.body.data.map((agent: { name: string }) => agent.name)).toEqual(['Pager 2', 'Pager 1']);
    const third = await api.get(`/v1/agents?limit=2&q=pager&cursor=${second.body.nextCursor}`, {
      token: owner.token,
    });
    expect(third.body.data.map((agent: { name: string }) => agent.name)).toEqual(['Pager 0']);
    expect(third.body.nextCursor).toBeNull();
    const wildcard = await api.get('/v1/agents?q=%25', { token: owner.token });
    expect(wildcard.body.data).toEqual([]);
  });

  it('lets a viewer read but not write agents', async () => {
    const viewer = await memberToken(api, owner.token, 'viewer');
    expect((await api.get('/v1/agents', { token: viewer.token })).status).toBe(200);
    const denied = await api.post('/v1/agents', { name: 'nope' }, { token: viewer.token });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
  });
});
