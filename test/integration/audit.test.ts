import { auditHash, tables } from '@lumay/shared';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../support/app-target.ts';
import { type ApiResponse, type Client, client, createTenant, loginAdmin } from '../support/client.ts';

interface AuditRowView {
  id: string;
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
}

const FORBIDDEN_KEYS = [
  'passwordHash',
  'password_hash',
  'secretHash',
  'secret_hash',
  'tokenHash',
  'token_hash',
];

/** The database error code behind an error, following `cause` links (drivers wrap their errors). */
function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<DatabaseKind>(['postgres', 'pglite'])('audit log on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
  });
  afterAll(() => target?.close());

  async function allRows(token: string): Promise<AuditRowView[]> {
    const rows: AuditRowView[] = [];
    let cursor: string | null = null;
    do {
      const response: ApiResponse = await api.get(`/v1/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
        token,
      });
      expect(response.status).toBe(200);
      rows.push(...response.body.data);
      cursor = response.body.nextCursor;
    } while (cursor);
    return rows;
  }

  async function verify(token: string) {
    const response = await api.get('/v1/audit/verify', { token });
    expect(response.status).toBe(200);
    return response.body as {
      valid: boolean;
      checked: number;
      headHash?: string;
      firstBroken?: { seq: number; id: string | null; reason: string };
    };
  }

  /** Finds the single row written by the request that produced `response`. */
  function rowFor(rows: AuditRowView[], response: ApiResponse, action: string): AuditRowView {
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const matches = rows.filter((row) => row.requestId === requestId && row.action === action);
    expect(matches, `${action} for ${requestId}`).toHaveLength(1);
    return matches[0] as AuditRowView;
  }

  it('records every state change with actor, resource, request id, ip and secret-free before/after', async () => {
    const ip = '203.0.113.20';
    const email = `audited-${Date.now()}@test.lumay`;
    const password = 'audited-owner-password';
    const tenantCreated = await api.post(
      '/v1/tenants',
      { name: 'Audited', owner: { email, password } },
      { token: adminToken, ip },
    );
    expect(tenantCreated.status).toBe(201);
    const tenantId: string = tenantCreated.body.tenant.id;
    const ownerId: string = tenantCreated.body.owner.userId;
    const adminMe = await api.get('/v1/auth/me', { token: adminToken });

    const loggedIn = await api.post('/v1/auth/login', { email, password }, { ip });
    expect(loggedIn.status).toBe(200);
    const token: string = loggedIn.body.accessToken;

    const agentCreated = await api.post('/v1/agents', { name: 'Audited agent' }, { token, ip });
    const agentId: string = agentCreated.body.id;
    const agentUpdated = await api.patch(`/v1/agents/${agentId}`, { name: 'Renamed agent' }, { token, ip });
    const agentDeleted = await api.delete(`/v1/agents/${agentId}`, { token, ip });

    const invited = await api.post(
      '/v1/members',
      { email: `audited-member-${Date.now()}@test.lumay`, role: 'viewer' },
      { token, ip },
    );
    expect(invited.status).toBe(201);
    const memberId: string = invited.body.member.userId;
    const temporaryPassword: string = invited.body.temporaryPassword;
    const memberUpdated = await api.patch(`/v1/members/${memberId}`, { role: 'analyst' }, { token, ip });
    const memberRemoved = await api.delete(`/v1/members/${memberId}`, { token, ip });

    const keyCreated = await api.post('/v1/api-keys', { name: 'audited key', role: 'viewer' }, { token, ip });
    const keyRevoked = await api.delete(`/v1/api-keys/${keyCreated.body.id}`, { token, ip });
    const tenantUpdated = await api.patch('/v1/tenant', { name: 'Audited Inc' }, { token, ip });
    const refreshed = await api.post(
      '/v1/auth/refresh',
      { refreshToken: loggedIn.body.refreshToken },
      { ip },
    );
    for (const response of [
      agentCreated,
      agentUpdated,
      agentDeleted,
      memberUpdated,
      memberRemoved,
      keyCreated,
    ]) {
      expect(response.status).toBeLessThan(300);
    }
    expect(keyRevoked.status).toBe(200);
    expect(tenantUpdated.status).toBe(200);
    expect(refreshed.status).toBe(200);

    const rows = await allRows(token);
    const user = { actorType: 'user', actorId: ownerId, ip };
    expect(rowFor(rows, tenantCreated, 'tenant.create')).toMatchObject({
      actorType: 'user',
      actorId: adminMe.body.userId,
      resourceType: 'tenant',
      resourceId: tenantId,
      ip,
      before: null,
      after: { id: tenantId, name: 'Audited' },
    });
    expect(rowFor(rows, tenantCreated, 'member.add')).toMatchObject({
      actorId: adminMe.body.userId,
      resourceType: 'member',
      resourceId: ownerId,
      after: { role: 'owner', email },
    });
    expect(rowFor(rows, loggedIn, 'auth.login')).toMatchObject({
      ...user,
      resourceType: 'user',
      resourceId: ownerId,
    });
    expect(rowFor(rows, agentCreated, 'agent.create')).toMatchObject({
      ...user,
      resourceType: 'agent',
      resourceId: agentId,
      before: null,
      after: { name: 'Audited agent', version: 1 },
    });
    expect(rowFor(rows, agentUpdated, 'agent.update')).toMatchObject({
      ...user,
      resourceId: agentId,
      before: { name: 'Audited agent', version: 1 },
      after: { name: 'Renamed agent', version: 2 },
    });
    expect(rowFor(rows, agentDeleted, 'agent.delete')).toMatchObject({
      ...user,
      resourceId: agentId,
      before: { name: 'Renamed agent' },
      after: null,
    });
    expect(rowFor(rows, invited, 'member.add')).toMatchObject({
      ...user,
      resourceType: 'member',
      resourceId: memberId,
      after: { role: 'viewer' },
    });
    expect(rowFor(rows, memberUpdated, 'member.update')).toMatchObject({
      ...user,
      resourceId: memberId,
      before: { role: 'viewer' },
      after: { role: 'analyst' },
    });
    expect(rowFor(rows, memberRemoved, 'member.remove')).toMatchObject({
      ...user,
      resourceId: memberId,
      before: { role: 'analyst' },
      after: null,
    });
    expect(rowFor(rows, keyCreated, 'api_key.create')).toMatchObject({
      ...user,
      resourceType: 'api_key',
      resourceId: keyCreated.body.id,
      after: { role: 'viewer', revokedAt: null },
    });
    expect(rowFor(rows, keyRevoked, 'api_key.revoke')).toMatchObject({
      ...user,
      resourceId: keyCreated.body.id,
      before: { revokedAt: null },
    });
    expect(rowFor(rows, keyRevoked, 'api_key.revoke').after).toMatchObject({ revokedAt: expect.any(String) });
    expect(rowFor(rows, tenantUpdated, 'tenant.update')).toMatchObject({
      ...user,
      resourceId: tenantId,
      before: { name: 'Audited' },
      after: { name: 'Audited Inc' },
    });
    expect(rowFor(rows, refreshed, 'auth.refresh')).toMatchObject({
      actorId: ownerId,
      resourceType: 'session',
      ip,
    });

    // No secret, hash or credential anywhere in the stored trail (checked on the raw table too).
    const raw = await target.owner<{ before: unknown; after: unknown }>(
      'select before, after from audit_log where tenant_id = $1',
      [tenantId],
    );
    const stored = JSON.stringify(raw);
    const served = JSON.stringify(rows.map((row) => [row.before, row.after]));
    for (const text of [stored, served]) {
      for (const key of FORBIDDEN_KEYS) expect(text).not.toContain(`"${key}"`);
      expect(text).not.toContain('scrypt$');
      expect(text).not.toContain(keyCreated.body.key);
      expect(text).not.toContain(temporaryPassword);
      expect(text).not.toContain(password);
      expect(text).not.toContain(loggedIn.body.refreshToken);
    }

    const chain = await verify(token);
    expect(chain).toMatchObject({ valid: true, checked: rows.length });
    expect(chain.headHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('filters by action, resource, actor, time range and pages with a cursor', async () => {
    const tenant = await createTenant(api, adminToken, 'audit-filters');
    const other = await api.post(
      '/v1/members',
      { email: `filter-builder-${Date.now()}@test.lumay`, role: 'builder', password: 'builder-password-1' },
      { token: tenant.token },
    );
    const builderLogin = await api.post('/v1/auth/login', {
      email: other.body.member.email,
      password: 'builder-password-1',
    });
    const builderToken: string = builderLogin.body.accessToken;

    const agentIds: string[] = [];
    for (let index = 0; index < 4; index++) {
      await sleep(5);
      const response = await api.post(
        '/v1/agents',
        { name: `Filter ${index}` },
        { token: index % 2 === 0 ? tenant.token : builderToken },
      );
      agentIds.push(response.body.id);
    }

    const byAction = await api.get('/v1/audit?action=agent.create', { token: tenant.token });
    expect(byAction.body.data.map((row: AuditRowView) => row.resourceId)).toEqual([...agentIds].reverse());

    const byType = await api.get('/v1/audit?resourceType=member', { token: tenant.token });
    expect(byType.body.data.map((row: AuditRowView) => row.action).sort()).toEqual([
      'member.add',
      'member.add',
    ]);

    const byResource = await api.get(`/v1/audit?resourceId=${agentIds[1]}`, { token: tenant.token });
    expect(byResource.body.data).toHaveLength(1);
    expect(byResource.body.data[0].resourceId).toBe(agentIds[1]);

    const byActor = await api.get(`/v1/audit?action=agent.create&actorId=${other.body.member.userId}`, {
      token: tenant.token,
    });
    expect(byActor.body.data.map((row: AuditRowView) => row.resourceId)).toEqual([agentIds[3], agentIds[1]]);

    const creates = (byAction.body.data as AuditRowView[]).slice().reverse();
    const from = creates[1]?.occurredAt as string;
    const to = creates[2]?.occurredAt as string;
    const range = await api.get(
      `/v1/audit?action=agent.create&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      { token: tenant.token },
    );
    expect(range.body.data.map((row: AuditRowView) => row.resourceId)).toEqual([agentIds[2], agentIds[1]]);
    const future = await api.get(
      `/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      {
        token: tenant.token,
      },
    );
    expect(future.body.data).toEqual([]);

    const everything = await allRows(tenant.token);
    const seqs: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: ApiResponse = await api.get(`/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        token: tenant.token,
      });
      expect(response.body.data.length).toBeLessThanOrEqual(3);
      seqs.push(...response.body.data.map((row: AuditRowView) => row.seq));
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(seqs).toEqual(Array.from({ length: everything.length }, (_, index) => everything.length - index));
    expect(pages).toBe(Math.ceil(everything.length / 3));

    // A builder lacks audit:read; bad filters are 400s.
    expect((await api.get('/v1/audit', { token: builderToken })).status).toBe(403);
    for (const query of ['cursor=abc', 'from=yesterday', 'limit=0', 'limit=201', 'unknown=1']) {
      const response = await api.get(`/v1/audit?${query}`, { token: tenant.token });
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
  });

  it('keeps each tenant’s trail to itself', async () => {
    const first = await createTenant(api, adminToken, 'audit-iso-a');
    const second = await createTenant(api, adminToken, 'audit-iso-b');
    const agent = await api.post('/v1/agents', { name: 'private' }, { token: first.token });
    const seen = await api.get(`/v1/audit?resourceId=${agent.body.id}`, { token: second.token });
    expect(seen.body.data).toEqual([]);
    const rows = await allRows(second.token);
    expect(rows.every((row) => (row as unknown as { tenantId: string }).tenantId === second.tenantId)).toBe(
      true,
    );
  });

  describe('tamper evidence', () => {
    /** A tenant with a chain of at least 5 rows (tenant.create, member.add, login, 3 × agent.create). */
    async function chainedTenant(label: string) {
      const tenant = await createTenant(api, adminToken, label);
      for (let index = 0; index < 3; index++) {
        expect(
          (await api.post('/v1/agents', { name: `${label} ${index}` }, { token: tenant.token })).status,
        ).toBe(201);
      }
      const clean = await verify(tenant.token);
      expect(clean.valid).toBe(true);
      expect(clean.checked).toBeGreaterThanOrEqual(6);
      return { ...tenant, rows: clean.checked };
    }

    it('names the seq of a modified row (hash_mismatch)', async () => {
      const tenant = await chainedTenant('tamper-modify');
      const [row] = await target.owner<{ id: string }>(
        `update audit_log set after = jsonb_set(after, '{name}', '"forged"') where tenant_id = $1 and seq = 4 returning id`,
        [tenant.tenantId],
      );
      const result = await verify(tenant.token);
      expect(result).toMatchObject({
        valid: false,
        checked: 3,
        firstBroken: { seq: 4, id: row?.id, reason: 'hash_mismatch' },
      });
    });

    it('detects a changed actor or ip as well as a changed body', async () => {
      const tenant = await chainedTenant('tamper-actor');
      await target.owner(`update audit_log set ip = '10.9.9.9' where tenant_id = $1 and seq = 2`, [
        tenant.tenantId,
      ]);
      expect((await verify(tenant.token)).firstBroken).toMatchObject({ seq: 2, reason: 'hash_mismatch' });
    });

    it('names the seq of a deleted middle row (missing_row)', async () => {
      const tenant = await chainedTenant('tamper-delete');
      await target.owner('delete from audit_log where tenant_id = $1 and seq = 3', [tenant.tenantId]);
      const result = await verify(tenant.token);
      expect(result).toMatchObject({
        valid: false,
        checked: 2,
        firstBroken: { seq: 3, id: null, reason: 'missing_row' },
      });
    });

    it('detects an altered prev_hash (prev_hash_mismatch)', async () => {
      const tenant = await chainedTenant('tamper-prev');
      await target.owner(`update audit_log set prev_hash = $2 where tenant_id = $1 and seq = 5`, [
        tenant.tenantId,
        'f'.repeat(64),
      ]);
      const result = await verify(tenant.token);
      expect(result).toMatchObject({
        valid: false,
        checked: 4,
        firstBroken: { seq: 5, reason: 'prev_hash_mismatch' },
      });
    });

    it('detects swapped rows', async () => {
      const tenant = await chainedTenant('tamper-swap');
      // Swap the sequence numbers of rows 4 and 5 (through a free seq, the pair is unique).
      await target.owner('update audit_log set seq = 1000 where tenant_id = $1 and seq = 4', [
        tenant.tenantId,
      ]);
      await target.owner('update audit_log set seq = 4 where tenant_id = $1 and seq = 5', [tenant.tenantId]);
      await target.owner('update audit_log set seq = 5 where tenant_id = $1 and seq = 1000', [
        tenant.tenantId,
      ]);
      const result = await verify(tenant.token);
      expect(result).toMatchObject({
        valid: false,
        checked: 3,
        firstBroken: { seq: 4, reason: 'prev_hash_mismatch' },
      });
    });

    it('catches a forger who recomputes the modified row’s own hash: the next link breaks', async () => {
      const tenant = await chainedTenant('tamper-rehash');
      const [original] = await target.db.withTenant({ tenantId: tenant.tenantId, userId: null }, (tx) =>
        tx.select().from(tables.auditLog).where(eq(tables.auditLog.seq, 3)),
      );
      if (!original) throw new Error('row 3 missing');
      const forged = { ...original, ip: '10.6.6.6' };
      const hash = await auditHash(forged.prevHash, forged);
      await target.owner('update audit_log set ip = $2, hash = $3 where id = $1', [
        original.id,
        forged.ip,
        hash,
      ]);
      const result = await verify(tenant.token);
      expect(result).toMatchObject({
        valid: false,
        checked: 3,
        firstBroken: { seq: 4, reason: 'prev_hash_mismatch' },
      });
    });
  });

  it('keeps seqs gapless and the chain valid under 20 concurrent changes', async () => {
    const tenant = await createTenant(api, adminToken, 'audit-concurrency');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        api.post('/v1/agents', { name: `Burst ${index}` }, { token: tenant.token }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    const seqs = await target.owner<{ seq: string | number }>(
      'select seq from audit_log where tenant_id = $1 order by seq',
      [tenant.tenantId],
    );
    const numbers = seqs.map((row) => Number(row.seq));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index + 1));
    const creates = await api.get('/v1/audit?action=agent.create&limit=100', { token: tenant.token });
    expect(creates.body.data).toHaveLength(20);
    expect(await verify(tenant.token)).toMatchObject({ valid: true, checked: numbers.length });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit rows to the application role', async () => {
    const tenant = await createTenant(api, adminToken, 'audit-append-only');
    const statements = [
      sql`update audit_log set action = 'forged'`,
      sql`delete from audit_log`,
      sql`truncate audit_log`,
    ];
    for (const statement of statements) {
      const error = await target.db
        .withTenant({ tenantId: tenant.tenantId, userId: tenant.ownerId }, (tx) => tx.execute(statement))
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error, 'the statement must be refused').toBeDefined();
      // 42501: insufficient_privilege (the role lacks the grant; RLS is not even consulted).
      expect(errorCodeOf(error)).toBe('42501');
    }
    const rows = await target.owner<{ action: string }>('select action from audit_log where tenant_id = $1', [
      tenant.tenantId,
    ]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.action === 'forged')).toBe(false);
    expect((await verify(tenant.token)).valid).toBe(true);
    // The platform admin's own chain is intact too.
    expect((await verify(adminToken)).valid).toBe(true);
  });
});
