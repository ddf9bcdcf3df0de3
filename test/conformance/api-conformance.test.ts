import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Client, client, createTenant, login, memberToken } from '../support/client.ts';
import { createEdgeTarget } from '../support/edge-target.ts';
import { createEmbeddedTarget } from '../support/embedded-target.ts';
import { createNodeTarget } from '../support/node-target.ts';
import type { HttpTarget } from '../support/spawned-server.ts';

/**
 * One HTTP suite, three deployables: the edge build in workerd (wrangler dev, Postgres), the on-prem
 * Node server (Postgres, Redis, RabbitMQ) and the embedded default (PGlite). Each is a real process
 * on a real port; the suite sees only HTTP.
 */
const TARGETS: { name: string; start: () => Promise<HttpTarget> }[] = [
  { name: 'edge', start: () => createEdgeTarget() },
  { name: 'node', start: createNodeTarget },
  { name: 'embedded', start: createEmbeddedTarget },
];

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function expectErrorShape(response: { status: number; headers: Headers; body: any }, code: string) {
  expect(response.body, JSON.stringify(response.body)).toMatchObject({
    error: { code, message: expect.any(String), requestId: expect.stringMatching(REQUEST_ID) },
  });
  expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
}

describe.each(TARGETS)('management API conformance: $name', ({ start }) => {
  let target: HttpTarget;
  let api: Client;
  let adminToken: string;
  let tenantA: Awaited<ReturnType<typeof createTenant>>;
  let tenantB: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await start();
    api = client(target);
    adminToken = await login(api, target.admin.email, target.admin.password);
    tenantA = await createTenant(api, adminToken, 'conformance-a');
    tenantB = await createTenant(api, adminToken, 'conformance-b');
  });
  afterAll(async () => {
    await target?.close();
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      console.error(
        `--- ${target?.name ?? 'target'} output (last 8000 chars) ---\n${target?.logs().slice(-8000)}`,
      );
    });
  });

  describe('operations', () => {
    it('answers /healthz and /readyz', async () => {
      const health = await api.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', version: expect.any(String) });
      const ready = await api.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
    });

    it('serves an OpenAPI 3.1 document describing the routes', async () => {
      const response = await api.get('/openapi.json');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(response.body.openapi).toMatch(/^3\.1\.\d+$/);
      expect(response.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/auth/login',
          '/v1/auth/refresh',
          '/v1/agents',
          '/v1/agents/{id}',
          '/v1/audit',
        ]),
      );
      expect(response.body.components.securitySchemes.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
    });

    it('puts a request id on every response and keeps a well-formed caller id', async () => {
      const responses = await Promise.all([
        api.get('/healthz'),
        api.get('/readyz'),
        api.get('/openapi.json'),
        api.get('/v1/agents'),
        api.get('/v1/nowhere'),
        api.post('/v1/auth/login', { email: 'x@example.com' }),
      ]);
      for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(REQUEST_ID);
      const ids = new Set(responses.map((response) => response.headers.get('x-request-id')));
      expect(ids.size).toBe(responses.length);

      const echoed = await api.get('/healthz', { headers: { 'x-request-id': 'trace-conformance-0001' } });
      expect(echoed.headers.get('x-request-id')).toBe('trace-conformance-0001');
      const unsafe = await api.get('/healthz', { headers: { 'x-request-id': 'bad id <script>' } });
      expect(unsafe.headers.get('x-request-id')).not.toBe('bad id <script>');
      expect(unsafe.headers.get('x-request-id')).toMatch(REQUEST_ID);
    });
  });

  describe('auth', () => {
    it('logs in, answers /me, and rotates refresh tokens (a replayed one is refused)', async () => {
      const loggedIn = await api.post('/v1/auth/login', {
        email: target.demo.email,
        password: target.demo.password,
      });
      expect(loggedIn.status, loggedIn.text).toBe(200);
      expect(loggedIn.headers.get('cache-control')).toBe('no-store');
      expect(loggedIn.body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: expect.any(Number),
        role: 'owner',
        tenantId: expect.stringMatching(/^ten_/),
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^lmr_/),
      });

      const me = await api.get('/v1/auth/me', { token: loggedIn.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ kind: 'user', tenantId: loggedIn.body.tenantId, role: 'owner' });
      expect(me.body.permissions).toContain('agents:create');

      const rotated = await api.post('/v1/auth/refresh', { refreshToken: loggedIn.body.refreshToken });
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.body.refreshToken).not.toBe(loggedIn.body.refreshToken);
      expect(rotated.body.tenantId).toBe(loggedIn.body.tenantId);
      const meAgain = await api.get('/v1/auth/me', { token: rotated.body.accessToken });
      expect(meAgain.status).toBe(200);
      expect(meAgain.body.userId).toBe(me.body.userId);

      const replayed = await api.post('/v1/auth/refresh', { refreshToken: loggedIn.body.refreshToken });
      expect(replayed.status).toBe(401);
      expectErrorShape(replayed, 'unauthorized');
      // Reuse revokes the family: the newest token stops working too.
      const newest = await api.post('/v1/auth/refresh', { refreshToken: rotated.body.refreshToken });
      expect(newest.status).toBe(401);
    });

    it('refuses a wrong password with 401 invalid_credentials', async () => {
      const response = await api.post('/v1/auth/login', {
        email: tenantA.email,
        password: 'not-the-password',
      });
      expect(response.status).toBe(401);
      expectErrorShape(response, 'invalid_credentials');
    });

    it('answers 401 without a token and with a forged one', async () => {
      const missing = await api.get('/v1/agents');
      expect(missing.status).toBe(401);
      expectErrorShape(missing, 'unauthorized');
      const [header, payload] = tenantA.token.split('.');
      const forged = await api.get('/v1/agents', { token: `${header}.${payload}.AAAA` });
      expect(forged.status).toBe(401);
      expect(forged.body.error.code).toMatch(/^(unauthorized|token_expired)$/);
    });
  });

  describe('RBAC and tenancy', () => {
    it('lets a viewer read agents but not create one (403)', async () => {
      const viewer = await memberToken(api, tenantA.token, 'viewer');
      const listed = await api.get('/v1/agents', { token: viewer.token });
      expect(listed.status).toBe(200);
      const created = await api.post('/v1/agents', { name: 'Not allowed' }, { token: viewer.token });
      expect(created.status).toBe(403);
      expectErrorShape(created, 'forbidden');
    });

    it("answers 404 for another tenant's agent, for every verb", async () => {
      const created = await api.post('/v1/agents', { name: 'Tenant A only' }, { token: tenantA.token });
      expect(created.status, created.text).toBe(201);
      const path = `/v1/agents/${created.body.id}`;

      const read = await api.get(path, { token: tenantB.token });
      expect(read.status).toBe(404);
      expectErrorShape(read, 'not_found');
      expect((await api.patch(path, { name: 'hijacked' }, { token: tenantB.token })).status).toBe(404);
      expect((await api.delete(path, { token: tenantB.token })).status).toBe(404);
      const listed = await api.get('/v1/agents', { token: tenantB.token });
      expect(listed.body.data.map((agent: { id: string }) => agent.id)).not.toContain(created.body.id);

      const still = await api.get(path, { token: tenantA.token });
      expect(still.status).toBe(200);
      expect(still.body.name).toBe('Tenant A only');
    });
  });

  describe('agents and audit', () => {
    it('creates, reads, updates and deletes an agent', async () => {
      const created = await api.post(
        '/v1/agents',
        { name: 'Conformance agent', description: 'CRUD over HTTP' },
        { token: tenantA.token },
      );
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^agt_/),
        name: 'Conformance agent',
        version: 1,
      });
      const path = `/v1/agents/${created.body.id}`;

      const fetched = await api.get(path, { token: tenantA.token });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);

      const updated = await api.patch(path, { status: 'active' }, { token: tenantA.token });
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body).toMatchObject({ status: 'active', version: 2 });
      const reread = await api.get(path, { token: tenantA.token });
      expect(reread.body).toMatchObject({ status: 'active', version: 2 });

      const stale = await api.patch(path, { name: 'stale', expectedVersion: 1 }, { token: tenantA.token });
      expect(stale.status).toBe(409);
      expectErrorShape(stale, 'conflict');

      const removed = await api.delete(path, { token: tenantA.token });
      expect(removed.status).toBe(204);
      expect((await api.get(path, { token: tenantA.token })).status).toBe(404);
    });

    it('pages through agents with a cursor', async () => {
      const names = ['Page 0', 'Page 1', 'Page 2', 'Page 3', 'Page 4'];
      for (const name of names) {
        const response = await api.post('/v1/agents', { name }, { token: tenantB.token });
        expect(response.status, response.text).toBe(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/v1/agents?limit=2&q=page${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await api.get(query, { token: tenantB.token });
        expect(page.status, page.text).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((agent: { name: string }) => agent.name));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...names].reverse());
    });

    it('audits changes and verifies the hash chain', async () => {
      const created = await api.post('/v1/agents', { name: 'Audited' }, { token: tenantA.token });
      expect(created.status).toBe(201);
      const audit = await api.get(`/v1/audit?resourceId=${created.body.id}`, { token: tenantA.token });
      expect(audit.status, audit.text).toBe(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0]).toMatchObject({
        action: 'agent.create',
        resourceType: 'agent',
        tenantId: tenantA.tenantId,
        hash: expect.any(String),
        prevHash: expect.any(String),
      });
      const all = await api.get('/v1/audit?limit=200', { token: tenantA.token });
      expect(all.body.data.every((row: { tenantId: string }) => row.tenantId === tenantA.tenantId)).toBe(
        true,
      );

      const verified = await api.get('/v1/audit/verify', { token: tenantA.token });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ valid: true });
      expect(verified.body.checked).toBeGreaterThan(1);
    });
  });

  describe('error shapes', () => {
    it('answers malformed JSON with 400 invalid_json', async () => {
      const response = await api.call('POST', '/v1/agents', {
        token: tenantA.token,
        rawBody: '{"name":',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expectErrorShape(response, 'invalid_json');
    });

    it('answers an unknown field with 400 validation_failed', async () => {
      const response = await api.post('/v1/agents', { name: 'x', surprise: true }, { token: tenantA.token });
      expect(response.status).toBe(400);
      expectErrorShape(response, 'validation_failed');
    });

    it('answers an unknown route with 404 in the error shape', async () => {
      const response = await api.get('/v1/does-not-exist', { token: tenantA.token });
      expect(response.status).toBe(404);
      expectErrorShape(response, 'not_found');
    });
  });
});
