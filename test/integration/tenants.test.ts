import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../support/app-target.ts';
import {
  type ApiResponse,
  type Client,
  client,
  createTenant,
  login,
  loginAdmin,
  loginDemoOwner,
  memberToken,
} from '../support/client.ts';

const uniqueEmail = (label: string) =>
  `${label}-${process.pid}-${Math.random().toString(36).slice(2, 9)}@test.lumay`;

describe.each<DatabaseKind>(['postgres', 'pglite'])('tenants API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let demoToken: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    demoToken = await loginDemoOwner(api);
  });
  afterAll(() => target?.close());

  it('lets a platform admin create a tenant whose owner can log in', async () => {
    const email = uniqueEmail('new-owner');
    const created = await api.post(
      '/v1/tenants',
      { name: '  Acme Corp  ', owner: { email, password: 'acme-owner-password', name: 'Ada' } },
      { token: adminToken },
    );
    expect(created.status).toBe(201);
    expect(created.body.tenant).toMatchObject({ name: 'Acme Corp', status: 'active' });
    expect(created.body.tenant.id).toMatch(/^ten_/);
    expect(created.body.owner).toMatchObject({ email, name: 'Ada', role: 'owner' });
    expect(created.body.temporaryPassword).toBeUndefined();

    const session = await api.post('/v1/auth/login', { email, password: 'acme-owner-password' });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ tenantId: created.body.tenant.id, role: 'owner' });
    const current = await api.get('/v1/tenant', { token: session.body.accessToken });
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ id: created.body.tenant.id, name: 'Acme Corp', status: 'active' });
  });

  it('returns a temporary password when the owner has none', async () => {
    const email = uniqueEmail('temp-owner');
    const created = await api.post('/v1/tenants', { name: 'Temp', owner: { email } }, { token: adminToken });
    expect(created.status).toBe(201);
    expect(typeof created.body.temporaryPassword).toBe('string');
    expect(await login(api, email, created.body.temporaryPassword)).toBeTypeOf('string');
  });

  it('refuses tenant creation to everyone but platform admins', async () => {
    const body = { name: 'Rogue', owner: { email: uniqueEmail('rogue'), password: 'rogue-password-1' } };
    const byOwner = await api.post('/v1/tenants', body, { token: demoToken });
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error.code).toBe('forbidden');

    const ownerKey = await api.post(
      '/v1/api-keys',
      { name: 'owner key', role: 'owner' },
      { token: demoToken },
    );
    expect(ownerKey.status).toBe(201);
    expect((await api.post('/v1/tenants', body, { token: ownerKey.body.key })).status).toBe(403);
    expect((await api.get('/v1/tenants', { token: ownerKey.body.key })).status).toBe(403);

    expect((await api.post('/v1/tenants', body)).status).toBe(401);
    expect((await api.get('/v1/tenants', { token: demoToken })).status).toBe(403);
    const rogue = await api.post('/v1/auth/login', {
      email: body.owner.email,
      password: body.owner.password,
    });
    expect(rogue.status).toBe(401);
  });

  it('lists every tenant for a platform admin, with paging', async () => {
    const created: string[] = [];
    for (let index = 0; index < 3; index++)
      created.push((await createTenant(api, adminToken, 'listed')).tenantId);

    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: ApiResponse = await api.get(`/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: adminToken,
      });
      expect(response.status).toBe(200);
      expect(response.body.data.length).toBeLessThanOrEqual(2);
      for (const tenant of response.body.data) {
        expect(Object.keys(tenant).sort()).toEqual(['createdAt', 'id', 'name', 'status']);
        ids.push(tenant.id);
      }
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);

    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [target.platformTenantId, target.demoTenantId, ...created]) expect(ids).toContain(id);
    const count = (await target.owner<{ count: string }>('select count(*)::text as count from tenants'))[0]
      ?.count;
    expect(ids).toHaveLength(Number(count));
    expect(pages).toBe(Math.ceil(ids.length / 2));
  });

  it('reads the caller’s tenant; only an owner may rename it', async () => {
    const tenant = await createTenant(api, adminToken, 'rename');
    const admin = await memberToken(api, tenant.token, 'admin');
    const viewer = await memberToken(api, tenant.token, 'viewer');

    for (const token of [tenant.token, admin.token, viewer.token]) {
      const response = await api.get('/v1/tenant', { token });
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(tenant.tenantId);
    }

    const byAdmin = await api.patch('/v1/tenant', { name: 'Admin rename' }, { token: admin.token });
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.code).toBe('forbidden');
    expect((await api.patch('/v1/tenant', { name: 'Viewer rename' }, { token: viewer.token })).status).toBe(
      403,
    );

    const byOwner = await api.patch('/v1/tenant', { name: 'Renamed Co' }, { token: tenant.token });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ id: tenant.tenantId, name: 'Renamed Co', status: 'active' });
    expect(Date.parse(byOwner.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(byOwner.body.createdAt));
    expect((await api.get('/v1/tenant', { token: viewer.token })).body.name).toBe('Renamed Co');

    // The rename touched only the caller's tenant.
    expect((await api.get('/v1/tenant', { token: demoToken })).body.name).toBe('Demo Company');
  });

  it('answers 400 for bad bodies and never lets a body set server-owned fields', async () => {
    const tenant = await createTenant(api, adminToken, 'bad-bodies');
    const creates: unknown[] = [
      {},
      { name: '' },
      { name: 'x'.repeat(201), owner: { email: uniqueEmail('long') } },
      { name: 'No owner' },
      { name: 'Bad email', owner: { email: 'not-an-email' } },
      { name: 'Short password', owner: { email: uniqueEmail('short'), password: 'short' } },
      { name: 'Extra', owner: { email: uniqueEmail('extra') }, status: 'suspended' },
      { name: 'Extra owner field', owner: { email: uniqueEmail('admin'), isPlatformAdmin: true } },
      { name: ['array'], owner: { email: uniqueEmail('array') } },
    ];
    for (const body of creates) {
      const response = await api.post('/v1/tenants', body, { token: adminToken });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(typeof response.body.error.requestId).toBe('string');
    }
    const patches: unknown[] = [
      {},
      { name: '' },
      { name: 'ok', status: 'suspended' },
      { id: target.demoTenantId },
    ];
    for (const body of patches) {
      const response = await api.patch('/v1/tenant', body, { token: tenant.token });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    const notJson = await api.call('PATCH', '/v1/tenant', {
      token: tenant.token,
      rawBody: 'name=oops',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect((await api.get('/v1/tenants?limit=1000', { token: adminToken })).status).toBe(400);
    expect((await api.get('/v1/tenant', { token: tenant.token })).body).toMatchObject({ status: 'active' });
  });

  it('makes an existing user the owner of a new tenant without touching their password', async () => {
    const first = await createTenant(api, adminToken, 'first-home');
    const created = await api.post(
      '/v1/tenants',
      { name: 'Second home', owner: { email: first.email, password: 'would-replace-password' } },
      { token: adminToken },
    );
    expect(created.status).toBe(201);
    expect(created.body.owner.userId).toBe(first.ownerId);
    const session = await api.post('/v1/auth/login', {
      email: first.email,
      password: first.password,
      tenantId: created.body.tenant.id,
    });
    expect(session.status).toBe(200);
    expect(session.body.role).toBe('owner');
  });
});
