import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppTarget,
  createAppTarget,
  type DatabaseKind,
  DEMO_EMAIL,
  DEMO_PASSWORD,
} from '../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../support/client.ts';

/** Tests that run dozens of scrypt verifications (~32 MiB, tens of ms each) on a possibly busy machine. */
const SCRYPT_HEAVY_TIMEOUT_MS = 180_000;

describe.each<DatabaseKind>(['postgres', 'pglite'])('auth API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    tenant = await createTenant(api, adminToken, 'auth');
  });
  afterAll(() => target?.close());

  /** Logs in and returns the whole session body, failing loudly on anything but 200. */
  async function session(email: string, password: string, tenantId?: string) {
    const response = await api.post('/v1/auth/login', { email, password, ...(tenantId ? { tenantId } : {}) });
    expect(response.status, response.text).toBe(200);
    return response.body as {
      accessToken: string;
      refreshToken: string;
      expiresIn: number;
      tokenType: string;
      tenantId: string;
      role: string;
    };
  }

  it('answers a login with the full session shape and no-store caching', async () => {
    const response = await api.post('/v1/auth/login', { email: DEMO_EMAIL, password: DEMO_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(
      ['accessToken', 'expiresIn', 'refreshToken', 'role', 'tenantId', 'tokenType'].sort(),
    );
    expect(response.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      tenantId: target.demoTenantId,
      role: 'owner',
    });
    expect(response.body.accessToken.split('.')).toHaveLength(3);
    expect(response.body.refreshToken).toMatch(/^lmr_ten_[0-9A-Z]{26}_rtk_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
  });

  it('gives the same 401 for a wrong password and an unknown email', async () => {
    const wrongPassword = await api.post('/v1/auth/login', {
      email: tenant.email,
      password: 'not-it-at-all',
    });
    const unknownEmail = await api.post('/v1/auth/login', {
      email: `nobody-${Date.now()}@test.lumay`,
      password: tenant.password,
    });
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('invalid_credentials');
    }
    expect(wrongPassword.body.error.message).toBe(unknownEmail.body.error.message);
  });

  it('treats the email case-insensitively and ignores surrounding spaces', async () => {
    const upper = await session(`  ${tenant.email.toUpperCase()} `, tenant.password);
    expect(upper.tenantId).toBe(tenant.tenantId);
    expect(upper.role).toBe('owner');
  });

  it('rejects malformed login bodies with 400', async () => {
    const cases: unknown[] = [
      {},
      { email: 'not-an-email', password: 'x' },
      { email: tenant.email },
      { email: tenant.email, password: '' },
      { email: tenant.email, password: tenant.password, tenantId: 'nope' },
      { email: tenant.email, password: tenant.password, extra: true },
    ];
    for (const body of cases) {
      const response = await api.post('/v1/auth/login', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(typeof response.body.error.requestId).toBe('string');
    }
    const notJson = await api.call('POST', '/v1/auth/login', {
      rawBody: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
  });

  it('asks which tenant when an account belongs to two, and refuses a tenant it is not in', async () => {
    const other = await createTenant(api, adminToken, 'auth-second');
    const invited = await api.post(
      '/v1/members',
      { email: tenant.email, role: 'analyst' },
      { token: other.token },
    );
    expect(invited.status).toBe(201);

    const ambiguous = await api.post('/v1/auth/login', { email: tenant.email, password: tenant.password });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.code).toBe('validation_failed');
    const listed = (ambiguous.body.error.details.tenants as { id: string; name: string }[]).map(
      (row) => row.id,
    );
    expect(listed.sort()).toEqual([tenant.tenantId, other.tenantId].sort());

    const first = await session(tenant.email, tenant.password, tenant.tenantId);
    expect(first).toMatchObject({ tenantId: tenant.tenantId, role: 'owner' });
    const second = await session(tenant.email, tenant.password, other.tenantId);
    expect(second).toMatchObject({ tenantId: other.tenantId, role: 'analyst' });
    const me = await api.get('/v1/auth/me', { token: second.accessToken });
    expect(me.body).toMatchObject({ tenantId: other.tenantId, role: 'analyst' });

    const foreign = await api.post('/v1/auth/login', {
      email: tenant.email,
      password: tenant.password,
      tenantId: target.demoTenantId,
    });
    expect(foreign.status).toBe(401);
    expect(foreign.body.error.code).toBe('invalid_credentials');
  });

  it('rotates refresh tokens: the new one works, the old one is refused', async () => {
    const member = await memberToken(api, tenant.token, 'builder');
    const first = await session(member.email, member.password);
    const rotated = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect(rotated.body).toMatchObject({ tokenType: 'Bearer', tenantId: tenant.tenantId, role: 'builder' });
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
    const me = await api.get('/v1/auth/me', { token: rotated.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.userId).toBe(member.userId);

    const again = await api.post('/v1/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(again.status).toBe(200);
    const old = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('unauthorized');
  });

  it('revokes the whole family when a used refresh token is presented again', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const first = await session(member.email, member.password);
    const second = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.status).toBe(200);

    const replay = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.status).toBe(401);
    // The newest token of the family was never used, yet it no longer works either.
    const newest = await api.post('/v1/auth/refresh', { refreshToken: second.body.refreshToken });
    expect(newest.status).toBe(401);

    // Another session of the same user (a different family) is unaffected.
    const otherSession = await session(member.email, member.password);
    expect((await api.post('/v1/auth/refresh', { refreshToken: otherSession.refreshToken })).status).toBe(
      200,
    );

    const audit = await api.get('/v1/audit?action=auth.refresh_reuse_detected', { token: tenant.token });
    expect(audit.body.data.some((row: { actorId: string }) => row.actorId === member.userId)).toBe(true);
  });

  it('logout revokes the session', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const first = await session(member.email, member.password);
    const rotated = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    const loggedOut = await api.post('/v1/auth/logout', { refreshToken: rotated.body.refreshToken });
    expect(loggedOut.status).toBe(204);
    const refreshed = await api.post('/v1/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(refreshed.status).toBe(401);
    // Logging out twice is accepted silently.
    expect((await api.post('/v1/auth/logout', { refreshToken: rotated.body.refreshToken })).status).toBe(204);
  });

  it('answers 401 token_expired for an expired refresh token', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const first = await session(member.email, member.password);
    const tokenId = first.refreshToken.split('_').slice(3, 5).join('_');
    expect(tokenId).toMatch(/^rtk_/);
    const updated = await target.owner<{ id: string }>(
      `update refresh_tokens set expires_at = now() - interval '1 minute' where id = $1 returning id`,
      [tokenId],
    );
    expect(updated).toHaveLength(1);
    const response = await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('token_expired');
  });

  it('refuses malformed and forged refresh tokens with 401, never 500', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const first = await session(member.email, member.password);
    const last = first.refreshToken.at(-1) === 'A' ? 'B' : 'A';
    const forged = `${first.refreshToken.slice(0, -1)}${last}`;
    for (const refreshToken of [
      'garbage',
      forged,
      first.refreshToken.replace(tenant.tenantId, target.demoTenantId),
    ]) {
      const response = await api.post('/v1/auth/refresh', { refreshToken });
      expect(response.status, refreshToken).toBe(401);
    }
    // The genuine token was not consumed by the forgery attempts.
    expect((await api.post('/v1/auth/refresh', { refreshToken: first.refreshToken })).status).toBe(200);
    expect((await api.post('/v1/auth/refresh', {})).status).toBe(400);
  });

  it(
    'locks an account after more than 10 failed logins, even for the right password',
    async () => {
      const member = await memberToken(api, tenant.token, 'viewer');
      for (let attempt = 0; attempt < 10; attempt++) {
        const response = await api.post('/v1/auth/login', {
          email: member.email,
          password: 'wrong-password!',
        });
        expect(response.status).toBe(401);
      }
      const locked = await api.post('/v1/auth/login', { email: member.email, password: member.password });
      expect(locked.status).toBe(429);
      expect(locked.body.error.code).toBe('rate_limited');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      // The lock is per account: the same tenant's owner still logs in.
      await session(tenant.email, tenant.password, tenant.tenantId);
    },
    SCRYPT_HEAVY_TIMEOUT_MS,
  );

  it(
    'resets the failure count after a successful login',
    async () => {
      const member = await memberToken(api, tenant.token, 'viewer');
      for (let attempt = 0; attempt < 9; attempt++) {
        expect(
          (await api.post('/v1/auth/login', { email: member.email, password: 'wrong-password!' })).status,
        ).toBe(401);
      }
      await session(member.email, member.password);
      for (let attempt = 0; attempt < 9; attempt++) {
        expect(
          (await api.post('/v1/auth/login', { email: member.email, password: 'wrong-password!' })).status,
        ).toBe(401);
      }
      await session(member.email, member.password);
    },
    SCRYPT_HEAVY_TIMEOUT_MS,
  );

  it(
    'limits login attempts per client IP to 50 per window',
    async () => {
      const ip = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
      const statuses = await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const response = await api.post(
            '/v1/auth/login',
            { email: `stuffing-${index}@test.lumay`, password: 'guessed-password' },
            { ip },
          );
          return response.status;
        }),
      );
      expect(statuses.every((status) => status === 401)).toBe(true);
      const blocked = await api.post(
        '/v1/auth/login',
        { email: DEMO_EMAIL, password: DEMO_PASSWORD },
        { ip },
      );
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another address is unaffected.
      const elsewhere = await api.post('/v1/auth/login', { email: DEMO_EMAIL, password: DEMO_PASSWORD });
      expect(elsewhere.status).toBe(200);
    },
    SCRYPT_HEAVY_TIMEOUT_MS,
  );

  it('/v1/auth/me describes the caller and needs a valid token', async () => {
    const member = await memberToken(api, tenant.token, 'analyst');
    const me = await api.get('/v1/auth/me', { token: member.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      kind: 'user',
      userId: member.userId,
      keyId: null,
      tenantId: tenant.tenantId,
      role: 'analyst',
      isPlatformAdmin: false,
    });
    expect(me.body.permissions).toContain('audit:read');
    expect(me.body.permissions).not.toContain('agents:create');

    const admin = await api.get('/v1/auth/me', { token: adminToken });
    expect(admin.body).toMatchObject({ isPlatformAdmin: true, tenantId: target.platformTenantId });
    expect(admin.body.permissions).toContain('platform:tenants');

    expect((await api.get('/v1/auth/me')).status).toBe(401);
    expect((await api.get('/v1/auth/me', { token: 'not.a.jwt' })).status).toBe(401);
    expect((await api.get('/v1/auth/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('revokes sessions on a role change: refresh answers 401, a new login carries the new role', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const before = await session(member.email, member.password);
    expect(before.role).toBe('viewer');

    const changed = await api.patch(
      `/v1/members/${member.userId}`,
      { role: 'builder' },
      { token: tenant.token },
    );
    expect(changed.status).toBe(200);

    // Implemented behaviour: member.changeRole revokes every refresh token of the member, so the
    // old session cannot be refreshed at all (rather than refreshing into the new role).
    const refreshed = await api.post('/v1/auth/refresh', { refreshToken: before.refreshToken });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error.code).toBe('unauthorized');

    const after = await session(member.email, member.password);
    expect(after.role).toBe('builder');
    const me = await api.get('/v1/auth/me', { token: after.accessToken });
    expect(me.body.role).toBe('builder');
    expect((await api.post('/v1/agents', { name: 'Built' }, { token: after.accessToken })).status).toBe(201);
  });

  it('audits logins with the actor, request id and client address', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const response = await api.post(
      '/v1/auth/login',
      { email: member.email, password: member.password },
      { ip: '198.51.100.7' },
    );
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    const audit = await api.get(`/v1/audit?action=auth.login&actorId=${member.userId}`, {
      token: tenant.token,
    });
    const row = audit.body.data.find((entry: { requestId: string }) => entry.requestId === requestId);
    expect(row).toMatchObject({
      actorType: 'user',
      actorId: member.userId,
      resourceType: 'user',
      resourceId: member.userId,
      ip: '198.51.100.7',
    });
  });
});
