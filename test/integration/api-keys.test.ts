import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../support/client.ts';

const KEY_PATTERN = /^lmk_ten_[0-9A-Z]{26}_key_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/;

/** Replaces one character of the key's secret part with a different one. */
function tamper(key: string, position: number): string {
  const index = key.length - 1 - position;
  const original = key[index];
  return `${key.slice(0, index)}${original === 'x' ? 'y' : 'x'}${key.slice(index + 1)}`;
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('API keys on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let tenant: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    tenant = await createTenant(api, await loginAdmin(api), 'keys');
  });
  afterAll(() => target?.close());

  async function createKey(role: string, extra: Record<string, unknown> = {}) {
    const response = await api.post(
      '/v1/api-keys',
      { name: `${role} key`, role, ...extra },
      { token: tenant.token },
    );
    expect(response.status, response.text).toBe(201);
    return response.body as { id: string; key: string; role: string; lastFour: string };
  }

  it('shows the secret once and never again, nor its hash', async () => {
    const created = await api.post(
      '/v1/api-keys',
      { name: 'CI deploys', role: 'builder' },
      { token: tenant.token },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body.key).toMatch(KEY_PATTERN);
    expect(created.body.key.startsWith(`lmk_${tenant.tenantId}_${created.body.id}_`)).toBe(true);
    expect(created.body).toMatchObject({
      name: 'CI deploys',
      role: 'builder',
      lastFour: created.body.key.slice(-4),
      createdBy: tenant.ownerId,
      revokedAt: null,
      expiresAt: null,
    });
    const secret: string = created.body.key;
    const secretPart = secret.split('_').slice(5).join('_');

    const fetched = await api.get(`/v1/api-keys/${created.body.id}`, { token: tenant.token });
    const listed = await api.get('/v1/api-keys', { token: tenant.token });
    expect(fetched.status).toBe(200);
    expect(listed.status).toBe(200);
    for (const text of [fetched.text, listed.text]) {
      expect(text).not.toContain(secretPart);
      expect(text).not.toMatch(/secretHash|secret_hash|"key"/);
    }
    const [stored] = await target.owner<{ secret_hash: string }>(
      'select secret_hash from api_keys where id = $1',
      [created.body.id],
    );
    expect(stored?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(fetched.text).not.toContain(stored?.secret_hash);
    expect(listed.text).not.toContain(stored?.secret_hash);
    expect(Object.keys(fetched.body).sort()).toEqual(
      [
        'createdAt',
        'createdBy',
        'expiresAt',
        'id',
        'lastFour',
        'lastUsedAt',
        'name',
        'revokedAt',
        'role',
      ].sort(),
    );
  });

  it('authenticates as the key’s role', async () => {
    const viewer = await createKey('viewer');
    const me = await api.get('/v1/auth/me', { token: viewer.key });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      kind: 'api_key',
      keyId: viewer.id,
      userId: null,
      tenantId: tenant.tenantId,
      role: 'viewer',
      isPlatformAdmin: false,
    });
    expect((await api.get('/v1/agents', { token: viewer.key })).status).toBe(200);
    const denied = await api.post('/v1/agents', { name: 'by viewer key' }, { token: viewer.key });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');

    const builder = await createKey('builder');
    const created = await api.post('/v1/agents', { name: 'by builder key' }, { token: builder.key });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe(builder.id);

    const used = await api.get(`/v1/api-keys/${builder.id}`, { token: tenant.token });
    expect(used.body.lastUsedAt).not.toBeNull();
  });

  it('stops working immediately when revoked', async () => {
    const key = await createKey('builder');
    expect((await api.get('/v1/agents', { token: key.key })).status).toBe(200);
    const revoked = await api.delete(`/v1/api-keys/${key.id}`, { token: tenant.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await api.get('/v1/agents', { token: key.key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    // Revoking again is a no-op that answers the revoked key and writes no second audit row.
    const again = await api.delete(`/v1/api-keys/${key.id}`, { token: tenant.token });
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const audit = await api.get(`/v1/audit?action=api_key.revoke&resourceId=${key.id}`, {
      token: tenant.token,
    });
    expect(audit.body.data).toHaveLength(1);
  });

  it('refuses an expired key', async () => {
    // A key whose expiry passes while it is cached as verified: the cached expiry is honoured too.
    const key = await createKey('viewer', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await api.get('/v1/agents', { token: key.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const response = await api.get('/v1/agents', { token: key.key });
    expect(response.status).toBe(401);
    // A key expired in the database before it was ever verified.
    const stale = await createKey('viewer', { expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    await target.owner(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [
      stale.id,
    ]);
    expect((await api.get('/v1/agents', { token: stale.key })).status).toBe(401);
    const past = await api.post(
      '/v1/api-keys',
      { name: 'already expired', role: 'viewer', expiresAt: new Date(Date.now() - 1000).toISOString() },
      { token: tenant.token },
    );
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('validation_failed');
  });

  it('does not let a role mint a key above itself', async () => {
    const admin = await memberToken(api, tenant.token, 'admin');
    const ownerKey = await api.post(
      '/v1/api-keys',
      { name: 'too much', role: 'owner' },
      { token: admin.token },
    );
    expect(ownerKey.status).toBe(403);
    const adminKey = await api.post('/v1/api-keys', { name: 'fine', role: 'admin' }, { token: admin.token });
    expect(adminKey.status).toBe(201);

    const builder = await memberToken(api, tenant.token, 'builder');
    const fromBuilder = await api.post(
      '/v1/api-keys',
      { name: 'nope', role: 'admin' },
      { token: builder.token },
    );
    expect(fromBuilder.status).toBe(403);
    expect(fromBuilder.body.error.code).toBe('forbidden');

    // A key cannot escalate either: an admin key may not mint an owner key.
    const escalate = await api.post(
      '/v1/api-keys',
      { name: 'escalate', role: 'owner' },
      { token: adminKey.body.key },
    );
    expect(escalate.status).toBe(403);
  });

  it('refuses a key with one character changed, and keys of another tenant', async () => {
    const key = await createKey('viewer');
    for (const position of [0, 10, 42]) {
      const response = await api.get('/v1/agents', { token: tamper(key.key, position) });
      expect(response.status, `position ${position}`).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
    const otherTenant = key.key.replace(tenant.tenantId, target.demoTenantId);
    expect((await api.get('/v1/agents', { token: otherTenant })).status).toBe(401);
    expect((await api.get('/v1/agents', { token: `${key.key}x` })).status).toBe(401);
    expect((await api.get('/v1/agents', { token: 'lmk_garbage' })).status).toBe(401);
    // The genuine key still works.
    expect((await api.get('/v1/agents', { token: key.key })).status).toBe(200);
  });

  it('audits actions taken with a key as actorType api_key', async () => {
    const key = await createKey('builder');
    const created = await api.post('/v1/agents', { name: 'keyed' }, { token: key.key });
    expect(created.status).toBe(201);
    const audit = await api.get(`/v1/audit?resourceId=${created.body.id}`, { token: tenant.token });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      action: 'agent.create',
      actorType: 'api_key',
      actorId: key.id,
      requestId: created.headers.get('x-request-id'),
    });
    const createdAudit = await api.get(`/v1/audit?action=api_key.create&resourceId=${key.id}`, {
      token: tenant.token,
    });
    expect(createdAudit.body.data).toHaveLength(1);
    expect(JSON.stringify(createdAudit.body.data[0])).not.toContain(key.key.split('_').slice(5).join('_'));
  });

  it('hides another tenant’s keys (404) and validates input (400)', async () => {
    const key = await createKey('viewer');
    const demo = await api.post('/v1/auth/login', {
      email: 'demo@test.lumay',
      password: 'demo-password-for-tests',
    });
    expect((await api.get(`/v1/api-keys/${key.id}`, { token: demo.body.accessToken })).status).toBe(404);
    expect((await api.delete(`/v1/api-keys/${key.id}`, { token: demo.body.accessToken })).status).toBe(404);
    expect((await api.get('/v1/agents', { token: key.key })).status).toBe(200);

    const bad: unknown[] = [
      { name: '', role: 'viewer' },
      { name: 'x', role: 'root' },
      { name: 'x', role: 'viewer', expiresAt: 'tomorrow' },
      { name: 'x', role: 'viewer', secretHash: 'abc' },
    ];
    for (const body of bad) {
      const response = await api.post('/v1/api-keys', body, { token: tenant.token });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.get('/v1/api-keys/key_nope', { token: tenant.token })).status).toBe(400);
  });

  it('pages through keys with a cursor', async () => {
    const paged = await createTenant(api, await loginAdmin(api), 'keys-paging');
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const response = await api.post(
        '/v1/api-keys',
        { name: `k${index}`, role: 'viewer' },
        { token: paged.token },
      );
      ids.push(response.body.id);
    }
    const first = await api.get('/v1/api-keys?limit=3', { token: paged.token });
    const second = await api.get(`/v1/api-keys?limit=3&cursor=${first.body.nextCursor}`, {
      token: paged.token,
    });
    expect(second.body.nextCursor).toBeNull();
    const seen = [...first.body.data, ...second.body.data].map((key: { id: string }) => key.id);
    expect(seen).toEqual([...ids].reverse());
  });
});
