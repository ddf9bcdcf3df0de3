import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError, fakeId } from './error-shape.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

interface Seeded {
  tenant: Tenant;
  agentId: string;
  keyId: string;
  key: string;
  memberId: string;
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('tenant isolation over HTTP on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let a: Seeded;
  let b: Seeded;

  async function seedTenant(label: string): Promise<Seeded> {
    const tenant = await createTenant(api, adminToken, label);
    const agent = await api.post(
      '/v1/agents',
      { name: `${label} agent`, config: { prompt: `${label} secret prompt` } },
      { token: tenant.token },
    );
    expect(agent.status).toBe(201);
    const key = await api.post(
      '/v1/api-keys',
      { name: `${label} key`, role: 'admin' },
      { token: tenant.token },
    );
    expect(key.status).toBe(201);
    const member = await memberToken(api, tenant.token, 'viewer');
    return { tenant, agentId: agent.body.id, keyId: key.body.id, key: key.body.key, memberId: member.userId };
  }

  /** Everything of a tenant an attack could alter, read as the owner (bypassing RLS). */
  async function snapshot(tenantId: string) {
    const q = (text: string) => target.owner(text, [tenantId]);
    return {
      tenant: await q('select name, status, updated_at from tenants where id = $1'),
      agents: await q('select * from agents where tenant_id = $1 order by id'),
      keys: await q('select * from api_keys where tenant_id = $1 order by id'),
      members: await q('select * from memberships where tenant_id = $1 order by id'),
      audit: await q('select id, hash from audit_log where tenant_id = $1 order by seq'),
      outbox: await q('select id from outbox where tenant_id = $1 order by id'),
    };
  }

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    a = await seedTenant('iso-a');
    b = await seedTenant('iso-b');
  });
  afterAll(() => target?.close());

  it("answers 404 to every id route on another tenant's resource, exactly as for a missing id", async () => {
    const before = await snapshot(a.tenant.tenantId);
    const attempts: [string, string, string, unknown?][] = [
      ['GET', `/v1/agents/${a.agentId}`, fakeId('agt')],
      ['PATCH', `/v1/agents/${a.agentId}`, fakeId('agt'), { name: 'hijacked' }],
      ['DELETE', `/v1/agents/${a.agentId}`, fakeId('agt')],
      ['GET', `/v1/api-keys/${a.keyId}`, fakeId('key')],
      ['DELETE', `/v1/api-keys/${a.keyId}`, fakeId('key')],
      ['GET', `/v1/members/${a.memberId}`, fakeId('usr')],
      ['PATCH', `/v1/members/${a.memberId}`, fakeId('usr'), { role: 'admin' }],
      ['DELETE', `/v1/members/${a.memberId}`, fakeId('usr')],
      ['GET', `/v1/members/${a.tenant.ownerId}`, fakeId('usr')],
      ['PATCH', `/v1/members/${a.tenant.ownerId}`, fakeId('usr'), { role: 'viewer' }],
      ['DELETE', `/v1/members/${a.tenant.ownerId}`, fakeId('usr')],
    ];
    for (const [method, path, missingId, body] of attempts) {
      for (const token of [b.tenant.token, b.key]) {
        const foreign = await api.call(method, path, { token, body });
        expectError(foreign, 404, 'not_found');
        const missingPath = path.replace(/[a-z]{3}_[0-9A-Z]{26}$/, missingId);
        const missing = await api.call(method, missingPath, { token, body });
        expectError(missing, 404, 'not_found');
        // No existence oracle: another tenant's id and a missing id answer alike.
        expect(foreign.body.error.message, `${method} ${path}`).toBe(missing.body.error.message);
      }
    }
    expect(await snapshot(a.tenant.tenantId)).toEqual(before);
    // A's key still works after B tried to revoke it.
    const me = await api.get('/v1/auth/me', { token: a.key });
    expect(me.status).toBe(200);
    expect(me.body.tenantId).toBe(a.tenant.tenantId);
  });

  it("never lists another tenant's rows", async () => {
    const owned = async (table: string, column: string, tenantId: string) =>
      (
        await target.owner<{ id: string }>(`select ${column} as id from ${table} where tenant_id = $1`, [
          tenantId,
        ])
      ).map((row) => row.id);
    for (const [self, other] of [
      [b, a],
      [a, b],
    ] as const) {
      for (const token of [self.tenant.token, self.key]) {
        const agents = await api.get('/v1/agents?limit=100', { token });
        expect(agents.status).toBe(200);
        expect(agents.body.data.map((row: { id: string }) => row.id).sort()).toEqual(
          (await owned('agents', 'id', self.tenant.tenantId)).sort(),
        );
        expect(agents.text).not.toContain(other.agentId);
        expect(agents.text).not.toContain(`${other === a ? 'iso-a' : 'iso-b'} secret prompt`);

        const keys = await api.get('/v1/api-keys?limit=100', { token });
        expect(keys.body.data.map((row: { id: string }) => row.id).sort()).toEqual(
          (await owned('api_keys', 'id', self.tenant.tenantId)).sort(),
        );

        const members = await api.get('/v1/members?limit=100', { token });
        expect(members.body.data.map((row: { userId: string }) => row.userId).sort()).toEqual(
          (await owned('memberships', 'user_id', self.tenant.tenantId)).sort(),
        );
        expect(members.text).not.toContain(other.tenant.email);

        const audit = await api.get('/v1/audit?limit=200', { token });
        expect(audit.status).toBe(200);
        expect(audit.body.data.length).toBeGreaterThan(0);
        expect(new Set(audit.body.data.map((row: { tenantId: string }) => row.tenantId))).toEqual(
          new Set([self.tenant.tenantId]),
        );
        const filtered = await api.get(`/v1/audit?resourceId=${other.agentId}`, { token });
        expect(filtered.body.data).toEqual([]);

        const tenant = await api.get('/v1/tenant', { token });
        expect(tenant.body.id).toBe(self.tenant.tenantId);
      }
    }
  });

  it("keeps an API key inside its own tenant, even when the key's tenant part is rewritten", async () => {
    expectError(await api.get(`/v1/agents/${b.agentId}`, { token: a.key }), 404, 'not_found');
    expectError(await api.get(`/v1/members/${b.tenant.ownerId}`, { token: a.key }), 404, 'not_found');
    expectError(await api.get(`/v1/api-keys/${b.keyId}`, { token: a.key }), 404, 'not_found');
    const me = await api.get('/v1/auth/me', { token: a.key });
    expect(me.body).toMatchObject({ kind: 'api_key', tenantId: a.tenant.tenantId, keyId: a.keyId });

    const retargeted = a.key.replace(a.tenant.tenantId, b.tenant.tenantId);
    expect(retargeted).not.toBe(a.key);
    expectError(await api.get('/v1/agents', { token: retargeted }), 401, 'unauthorized');
    const borrowedId = a.key.replace(a.keyId, b.keyId).replace(a.tenant.tenantId, b.tenant.tenantId);
    expectError(await api.get('/v1/agents', { token: borrowedId }), 401, 'unauthorized');
  });

  it('renames only the caller’s own tenant', async () => {
    const before = await snapshot(a.tenant.tenantId);
    const renamed = await api.patch('/v1/tenant', { name: 'B renamed' }, { token: b.tenant.token });
    expect(renamed.status).toBe(200);
    expect(renamed.body.id).toBe(b.tenant.tenantId);
    expect(await snapshot(a.tenant.tenantId)).toEqual(before);
  });

  it('rejects server-owned fields in bodies with 400 validation_failed and changes nothing', async () => {
    const other = b.tenant.tenantId;
    const cases: [string, string, Record<string, unknown>, string?][] = [
      ['POST', '/v1/agents', { name: 'x', tenantId: other }],
      ['POST', '/v1/agents', { name: 'x', tenant_id: other }],
      ['POST', '/v1/agents', { name: 'x', id: fakeId('agt') }],
      ['POST', '/v1/agents', { name: 'x', createdBy: b.tenant.ownerId }],
      ['POST', '/v1/agents', { name: 'x', version: 99 }],
      ['POST', '/v1/agents', { name: 'x', role: 'owner' }],
      ['POST', '/v1/agents', { name: 'x', createdAt: '2000-01-01T00:00:00Z' }],
      ['PATCH', `/v1/agents/${a.agentId}`, { name: 'x', tenantId: other }],
      ['PATCH', `/v1/agents/${a.agentId}`, { name: 'x', id: fakeId('agt') }],
      ['PATCH', `/v1/agents/${a.agentId}`, { name: 'x', version: 99 }],
      ['PATCH', `/v1/agents/${a.agentId}`, { name: 'x', createdBy: b.tenant.ownerId }],
      ['POST', '/v1/api-keys', { name: 'x', role: 'viewer', tenantId: other }],
      ['POST', '/v1/api-keys', { name: 'x', role: 'viewer', id: fakeId('key') }],
      ['POST', '/v1/api-keys', { name: 'x', role: 'viewer', createdBy: b.tenant.ownerId }],
      ['POST', '/v1/api-keys', { name: 'x', role: 'viewer', secretHash: 'f'.repeat(64) }],
      ['POST', '/v1/members', { email: 'mass@test.lumay', role: 'viewer', tenantId: other }],
      ['POST', '/v1/members', { email: 'mass@test.lumay', role: 'viewer', isPlatformAdmin: true }],
      ['POST', '/v1/members', { email: 'mass@test.lumay', role: 'viewer', userId: b.tenant.ownerId }],
      ['PATCH', `/v1/members/${a.memberId}`, { role: 'viewer', tenantId: other }],
      ['PATCH', `/v1/members/${a.memberId}`, { role: 'viewer', userId: b.tenant.ownerId }],
      ['PATCH', `/v1/members/${a.memberId}`, { role: 'viewer', isPlatformAdmin: true }],
      ['PATCH', '/v1/tenant', { name: 'x', id: other }],
      ['PATCH', '/v1/tenant', { name: 'x', status: 'suspended' }],
      ['PATCH', '/v1/tenant', { name: 'x', role: 'owner' }],
      ['POST', '/v1/tenants', { name: 'x', id: other, owner: { email: 'm1@test.lumay' } }, 'admin'],
      ['POST', '/v1/tenants', { name: 'x', owner: { email: 'm2@test.lumay', role: 'viewer' } }, 'admin'],
      [
        'POST',
        '/v1/tenants',
        { name: 'x', owner: { email: 'm3@test.lumay', isPlatformAdmin: true } },
        'admin',
      ],
      ['POST', '/v1/auth/login', { email: a.tenant.email, password: a.tenant.password, role: 'owner' }],
      [
        'POST',
        '/v1/auth/login',
        { email: a.tenant.email, password: a.tenant.password, isPlatformAdmin: true },
      ],
    ];
    const before = await snapshot(a.tenant.tenantId);
    const otherBefore = await snapshot(other);
    const tenantsBefore = await target.owner('select id from tenants order by id');
    for (const [method, path, body, as] of cases) {
      const token = as === 'admin' ? adminToken : a.tenant.token;
      const response = await api.call(method, path, { token, body });
      expectError(response, 400, 'validation_failed');
      expect(response.body.error.details.issues.map((issue: { code: string }) => issue.code)).toContain(
        'unrecognized_keys',
      );
    }
    for (const raw of ['{"name":"x","__proto__":{"tenantId":"x"}}', '{"name":"x","constructor":{"a":1}}']) {
      const response = await api.post('/v1/agents', undefined, {
        token: a.tenant.token,
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      });
      expectError(response, 400, 'validation_failed');
    }
    expect(({} as Record<string, unknown>).tenantId).toBeUndefined();
    expect(await snapshot(a.tenant.tenantId)).toEqual(before);
    expect(await snapshot(other)).toEqual(otherBefore);
    expect(await target.owner('select id from tenants order by id')).toEqual(tenantsBefore);
    expect(
      await target.owner(
        "select id from users where email like 'm_@test.lumay' or email = 'mass@test.lumay'",
      ),
    ).toEqual([]);
  });
});
