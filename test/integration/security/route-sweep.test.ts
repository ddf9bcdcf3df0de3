import { type Permission, ROLE_PERMISSIONS, ROLES, type Role } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../workers/src/app.ts';
import { ROUTE_PERMISSIONS, type RouteAccess } from '../../../workers/src/permissions.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError } from './error-shape.ts';

/**
 * The explicit allow-list of routes anyone may call without credentials. Adding a public route means
 * adding it here too, so that a reviewer sees it.
 */
const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
];

/** Any well-formed-looking id: authorization runs before path validation, so the value is irrelevant. */
const concretePath = (path: string) => path.replace(/:[A-Za-z]+/g, `zzz_${'0'.repeat(26)}`);

/** The strongest role that still lacks `permission`, so the 403 proves the table is enforced. */
function roleLacking(permission: Permission): Role | undefined {
  return ROLES.find((role) => !ROLE_PERMISSIONS[role].includes(permission));
}

/** The weakest role that holds `permission`, so passing authorization is not owner privilege. */
function roleHolding(permission: Permission): Role | undefined {
  return [...ROLES].reverse().find((role) => ROLE_PERMISSIONS[role].includes(permission));
}

const declared = Object.entries(ROUTE_PERMISSIONS) as [string, RouteAccess][];

describe.each<DatabaseKind>(['postgres', 'pglite'])('route sweep on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let viewerKey: string;
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    const tenant = await createTenant(api, adminToken, 'sweep');
    tokens.set('owner', tenant.token);
    for (const role of ROLES.filter((name) => name !== 'owner')) {
      tokens.set(role, (await memberToken(api, tenant.token, role)).token);
    }
    const key = await api.post(
      '/v1/api-keys',
      { name: 'viewer key', role: 'viewer' },
      { token: tenant.token },
    );
    expect(key.status).toBe(201);
    viewerKey = key.body.key;
  });
  afterAll(() => target?.close());

  const registered = () => target.routes.map((route) => `${route.method} ${route.path}`);

  it('declares every registered route, and every declaration names a registered route', () => {
    const routes = registered();
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((key) => !(key in ROUTE_PERMISSIONS))).toEqual([]);
    expect(Object.keys(ROUTE_PERMISSIONS).filter((key) => !routes.includes(key))).toEqual([]);
  });

  it('keeps the public routes to the explicit allow-list', () => {
    const publicInTable = declared.filter(([, access]) => access === 'public').map(([key]) => key);
    expect(publicInTable.sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('lets anonymous callers reach the public routes (never 401, never 500)', async () => {
    for (const key of PUBLIC_ROUTES) {
      const [method = '', path = ''] = key.split(' ');
      const response = await api.call(method, concretePath(path));
      expect(response.status, `${key}: ${response.text.slice(0, 200)}`).not.toBe(401);
      expect(response.status, `${key}: ${response.text.slice(0, 200)}`).toBeLessThan(500);
    }
  });

  it('answers 401, 401, 403 and passes the holder on every protected route', async () => {
    let routes = 0;
    let checks = 0;
    for (const key of registered()) {
      const access = ROUTE_PERMISSIONS[key];
      if (access === undefined || access === 'public') continue;
      routes += 1;
      const [method = '', rawPath = ''] = key.split(' ');
      const path = concretePath(rawPath);

      const anonymous = await api.call(method, path);
      expectError(anonymous, 401, 'unauthorized');
      const garbage = await api.call(method, path, { token: 'not.a.jwt' });
      expectError(garbage, 401, 'unauthorized');
      const fakeKey = await api.call(method, path, { token: `lmk_${'x'.repeat(40)}` });
      expectError(fakeKey, 401, 'unauthorized');
      const basic = await api.call(method, path, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expectError(basic, 401, 'unauthorized');
      checks += 4;

      if (access === 'authenticated') {
        for (const token of [...tokens.values(), viewerKey]) {
          const allowed = await api.call(method, path, { token });
          expect(allowed.status, `${key}: ${allowed.text}`).toBe(200);
          checks += 1;
        }
        continue;
      }

      const lacking = roleLacking(access);
      if (lacking) {
        const denied = await api.call(method, path, { token: tokens.get(lacking) });
        expectError(denied, 403, 'forbidden');
        expect(denied.body.error.message, key).toContain(access);
        checks += 1;
      }
      if (!ROLE_PERMISSIONS.viewer.includes(access)) {
        const deniedKey = await api.call(method, path, { token: viewerKey });
        expectError(deniedKey, 403, 'forbidden');
        checks += 1;
      }
      const holder = roleHolding(access);
      const passing = holder ? tokens.get(holder) : access === 'platform:tenants' ? adminToken : undefined;
      expect(passing, `no caller holds ${access} for ${key}`).toBeDefined();
      const passed = await api.call(method, path, { token: passing });
      expect([401, 403], `${key} as ${holder ?? 'platform admin'}: ${passed.text}`).not.toContain(
        passed.status,
      );
      expect(passed.status, `${key}: ${passed.text}`).toBeLessThan(500);
      checks += 1;
    }
    console.log(
      `route sweep on ${kind}: ${routes} protected routes + ${PUBLIC_ROUTES.length} public, ${checks} authorization checks`,
    );
    expect(routes).toBe(declared.filter(([, access]) => access !== 'public').length);
  });

  it('answers an unknown route with a 404 in the error shape, with or without a token', async () => {
    expectError(await api.get('/v1/nothing-here'), 404, 'not_found');
    expectError(await api.call('PUT', '/v1/agents'), 404, 'not_found');
    expectError(await api.get('/v1/nothing-here', { token: tokens.get('owner') }), 404, 'not_found');
  });

  it('fails closed on a route missing from ROUTE_PERMISSIONS: 500, and the handler never runs', async () => {
    const app = buildApp(target.deps);
    let executed = 0;
    app.get('/v1/undeclared', (c) => {
      executed += 1;
      return c.json({ leaked: true }, 200);
    });
    // Same path as a declared route, another method: declarations are per method.
    app.put('/v1/agents/:id', (c) => {
      executed += 1;
      return c.json({ leaked: true }, 200);
    });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const undeclared = client({ fetch: async (path, init) => app.request(path, init) });
      for (const [method, path] of [
        ['GET', '/v1/undeclared'],
        ['PUT', `/v1/agents/agt_${'0'.repeat(26)}`],
      ] as const) {
        for (const token of [undefined, tokens.get('owner'), adminToken]) {
          const response = await undeclared.call(method, path, { token });
          expectError(response, 500, 'internal_error');
          expect(response.text).not.toContain('leaked');
        }
      }
      expect(executed).toBe(0);
      expect(logged.mock.calls.map((call) => String(call[0])).join('\n')).toContain(
        'has no permission declaration',
      );
    } finally {
      logged.mockRestore();
    }
  });
});
