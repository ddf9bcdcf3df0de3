import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../support/app-target.ts';
import { type Client, client, createTenant, login, loginAdmin, memberToken } from '../support/client.ts';

let emailCounter = 0;
const freshEmail = (label: string) => {
  emailCounter += 1;
  return `${label}-${process.pid}-${emailCounter}-${Math.random().toString(36).slice(2, 8)}@test.lumay`;
};

describe.each<DatabaseKind>(['postgres', 'pglite'])('members API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    tenant = await createTenant(api, adminToken, 'members');
  });
  afterAll(() => target?.close());

  it('invites a new email without a password and returns a temporary password that logs in', async () => {
    const email = freshEmail('Invitee').toUpperCase();
    const invited = await api.post(
      '/v1/members',
      { email, role: 'operator', name: 'Ina Vitee' },
      { token: tenant.token },
    );
    expect(invited.status).toBe(201);
    expect(invited.body.member).toMatchObject({
      email: email.toLowerCase(),
      name: 'Ina Vitee',
      role: 'operator',
    });
    expect(invited.body.member.userId).toMatch(/^usr_/);
    expect(typeof invited.body.temporaryPassword).toBe('string');
    expect(invited.body.temporaryPassword.length).toBeGreaterThanOrEqual(20);

    const response = await api.post('/v1/auth/login', {
      email: email.toLowerCase(),
      password: invited.body.temporaryPassword,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tenantId: tenant.tenantId, role: 'operator' });

    const fetched = await api.get(`/v1/members/${invited.body.member.userId}`, { token: tenant.token });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(invited.body.member);
  });

  it('does not return a temporary password when the inviter sets one', async () => {
    const email = freshEmail('with-password');
    const invited = await api.post(
      '/v1/members',
      { email, role: 'viewer', password: 'chosen-password-123' },
      { token: tenant.token },
    );
    expect(invited.status).toBe(201);
    expect(invited.body.temporaryPassword).toBeUndefined();
    expect(await login(api, email, 'chosen-password-123')).toBeTypeOf('string');
  });

  it('adds an existing user of another tenant without creating a new account', async () => {
    const other = await createTenant(api, adminToken, 'members-other');
    const usersBefore = (
      await target.owner<{ count: string }>('select count(*)::text as count from users')
    )[0]?.count;
    const invited = await api.post(
      '/v1/members',
      // A password in the invite must not replace the existing account's password.
      { email: other.email, role: 'builder', password: 'attempted-override-1' },
      { token: tenant.token },
    );
    expect(invited.status).toBe(201);
    expect(invited.body.member.userId).toBe(other.ownerId);
    expect(invited.body.temporaryPassword).toBeUndefined();
    const usersAfter = (await target.owner<{ count: string }>('select count(*)::text as count from users'))[0]
      ?.count;
    expect(usersBefore).toBeDefined();
    expect(usersAfter).toBe(usersBefore);

    const here = await api.post('/v1/auth/login', {
      email: other.email,
      password: other.password,
      tenantId: tenant.tenantId,
    });
    expect(here.status).toBe(200);
    expect(here.body).toMatchObject({ tenantId: tenant.tenantId, role: 'builder' });
    const there = await api.post('/v1/auth/login', {
      email: other.email,
      password: other.password,
      tenantId: other.tenantId,
    });
    expect(there.status).toBe(200);
    expect(there.body).toMatchObject({ tenantId: other.tenantId, role: 'owner' });
    const overridden = await api.post('/v1/auth/login', {
      email: other.email,
      password: 'attempted-override-1',
      tenantId: tenant.tenantId,
    });
    expect(overridden.status).toBe(401);
  });

  it('answers 409 for a duplicate invite', async () => {
    const email = freshEmail('dup');
    expect((await api.post('/v1/members', { email, role: 'viewer' }, { token: tenant.token })).status).toBe(
      201,
    );
    const again = await api.post(
      '/v1/members',
      { email: email.toUpperCase(), role: 'admin' },
      { token: tenant.token },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('changes a member’s role and audits before and after', async () => {
    const member = await memberToken(api, tenant.token, 'viewer');
    const changed = await api.patch(
      `/v1/members/${member.userId}`,
      { role: 'analyst' },
      { token: tenant.token },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ userId: member.userId, role: 'analyst' });
    const fetched = await api.get(`/v1/members/${member.userId}`, { token: tenant.token });
    expect(fetched.body.role).toBe('analyst');
    const audit = await api.get(`/v1/audit?action=member.update&resourceId=${member.userId}`, {
      token: tenant.token,
    });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].before.role).toBe('viewer');
    expect(audit.body.data[0].after.role).toBe('analyst');
  });

  it('does not let an admin grant owner, or touch an owner', async () => {
    const admin = await memberToken(api, tenant.token, 'admin');
    const ownerInvite = await api.post(
      '/v1/members',
      { email: freshEmail('would-be-owner'), role: 'owner' },
      { token: admin.token },
    );
    expect(ownerInvite.status).toBe(403);
    expect(ownerInvite.body.error.code).toBe('forbidden');

    const member = await memberToken(api, tenant.token, 'viewer');
    const promote = await api.patch(
      `/v1/members/${member.userId}`,
      { role: 'owner' },
      { token: admin.token },
    );
    expect(promote.status).toBe(403);
    const demoteOwner = await api.patch(
      `/v1/members/${tenant.ownerId}`,
      { role: 'viewer' },
      { token: admin.token },
    );
    expect(demoteOwner.status).toBe(403);
    const removeOwner = await api.delete(`/v1/members/${tenant.ownerId}`, { token: admin.token });
    expect(removeOwner.status).toBe(403);
    expect((await api.get(`/v1/members/${tenant.ownerId}`, { token: tenant.token })).body.role).toBe('owner');

    // An admin may still manage lower roles.
    const invite = await api.post(
      '/v1/members',
      { email: freshEmail('by-admin'), role: 'admin' },
      { token: admin.token },
    );
    expect(invite.status).toBe(201);
    const lowered = await api.patch(
      `/v1/members/${member.userId}`,
      { role: 'builder' },
      { token: admin.token },
    );
    expect(lowered.status).toBe(200);

    const builder = await memberToken(api, tenant.token, 'builder');
    const noInvite = await api.post(
      '/v1/members',
      { email: freshEmail('nope'), role: 'viewer' },
      { token: builder.token },
    );
    expect(noInvite.status).toBe(403);
  });

  it('keeps at least one owner', async () => {
    const solo = await createTenant(api, adminToken, 'members-solo');
    const demote = await api.patch(`/v1/members/${solo.ownerId}`, { role: 'admin' }, { token: solo.token });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('conflict');
    const remove = await api.delete(`/v1/members/${solo.ownerId}`, { token: solo.token });
    expect(remove.status).toBe(409);

    // With a second owner, the first can step down.
    const second = await memberToken(api, solo.token, 'owner');
    const stepDown = await api.patch(`/v1/members/${solo.ownerId}`, { role: 'admin' }, { token: solo.token });
    expect(stepDown.status).toBe(200);
    const lastOne = await api.delete(`/v1/members/${second.userId}`, { token: second.token });
    expect(lastOne.status).toBe(409);
  });

  it('removes a member: 204, then they can no longer log in to that tenant', async () => {
    const member = await memberToken(api, tenant.token, 'builder');
    const session = await api.post('/v1/auth/login', { email: member.email, password: member.password });
    expect(session.status).toBe(200);

    const removed = await api.delete(`/v1/members/${member.userId}`, { token: tenant.token });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await api.get(`/v1/members/${member.userId}`, { token: tenant.token })).status).toBe(404);
    expect((await api.delete(`/v1/members/${member.userId}`, { token: tenant.token })).status).toBe(404);

    const withTenant = await api.post('/v1/auth/login', {
      email: member.email,
      password: member.password,
      tenantId: tenant.tenantId,
    });
    expect(withTenant.status).toBe(401);
    const withoutTenant = await api.post('/v1/auth/login', {
      email: member.email,
      password: member.password,
    });
    // Same answer as a wrong password: a removed account's correct password is not confirmed.
    expect(withoutTenant.status).toBe(401);
    expect(withoutTenant.body.error.code).toBe('invalid_credentials');
    // Their existing session cannot be refreshed either.
    expect((await api.post('/v1/auth/refresh', { refreshToken: session.body.refreshToken })).status).toBe(
      401,
    );
    // And the access token they still hold stops working at once, not when it expires.
    const stale = await api.get('/v1/agents', { token: session.body.accessToken });
    expect(stale.status).toBe(401);
  });

  it('applies a demotion to the very next request made with an older access token', async () => {
    const admin = await memberToken(api, tenant.token, 'admin');
    expect((await api.post('/v1/agents', { name: 'before demotion' }, { token: admin.token })).status).toBe(
      201,
    );
    const demoted = await api.patch(
      `/v1/members/${admin.userId}`,
      { role: 'viewer' },
      { token: tenant.token },
    );
    expect(demoted.status).toBe(200);
    const write = await api.post('/v1/agents', { name: 'after demotion' }, { token: admin.token });
    expect(write.status).toBe(403);
    const escalate = await api.post(
      '/v1/api-keys',
      { name: 'backdoor', role: 'admin' },
      { token: admin.token },
    );
    expect(escalate.status).toBe(403);
    const me = await api.get('/v1/auth/me', { token: admin.token });
    expect(me.body.role).toBe('viewer');
    expect((await api.get('/v1/agents', { token: admin.token })).status).toBe(200);
  });

  it('lists members with a role filter and cursor paging', async () => {
    const paged = await createTenant(api, adminToken, 'members-paging');
    const analysts: string[] = [];
    for (let index = 0; index < 5; index++) {
      analysts.push((await memberToken(api, paged.token, 'analyst')).userId);
    }
    await memberToken(api, paged.token, 'viewer');

    const all = await api.get('/v1/members?limit=100', { token: paged.token });
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(7);
    expect(all.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/members?role=analyst&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await api.get(query, { token: paged.token });
      expect(response.status).toBe(200);
      expect(response.body.data.length).toBeLessThanOrEqual(2);
      for (const member of response.body.data) {
        expect(member.role).toBe('analyst');
        expect(member).not.toHaveProperty('passwordHash');
        seen.push(member.userId);
      }
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...analysts].sort());

    const owners = await api.get('/v1/members?role=owner', { token: paged.token });
    expect(owners.body.data.map((member: { userId: string }) => member.userId)).toEqual([paged.ownerId]);

    // Another tenant's members are invisible.
    const ids = (await api.get('/v1/members?limit=100', { token: tenant.token })).body.data.map(
      (member: { userId: string }) => member.userId,
    );
    expect(ids).not.toContain(paged.ownerId);
    expect((await api.get(`/v1/members/${paged.ownerId}`, { token: tenant.token })).status).toBe(404);
  });

  it('rejects bad input with 400', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/v1/members', { email: 'nope', role: 'viewer' }],
      ['POST', '/v1/members', { email: freshEmail('bad-role'), role: 'superuser' }],
      ['POST', '/v1/members', { email: freshEmail('short'), role: 'viewer', password: 'short' }],
      ['POST', '/v1/members', { email: freshEmail('extra'), role: 'viewer', tenantId: target.demoTenantId }],
      ['PATCH', `/v1/members/${tenant.ownerId}`, { role: 'root' }],
      ['PATCH', '/v1/members/not-an-id', { role: 'viewer' }],
    ];
    for (const [method, path, body] of cases) {
      const response = await api.call(method, path, { token: tenant.token, body });
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
    expect((await api.get('/v1/members?role=god', { token: tenant.token })).status).toBe(400);
    expect((await api.get('/v1/members?limit=0', { token: tenant.token })).status).toBe(400);
  });
});
