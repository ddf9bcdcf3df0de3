import { TENANT_TABLES } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppSessions,
  expectRefused,
  type Fixture,
  pgliteSessions,
  postgresLoginSessions,
  postgresPortSessions,
  type Query,
  quote,
  seedTwoTenants,
} from './sql-sessions.ts';

/** Every table under forced RLS: the tenant tables plus the two global identity tables. */
const RLS_TABLES = [...TENANT_TABLES, 'tenants', 'users'];

const count = async (query: Query, text: string) => (await query<{ n: number }>(text))[0]?.n;

describe.each([
  ['postgres (raw login as lumay_app)', postgresLoginSessions],
  ['postgres (Database port on the lumay_app login)', postgresPortSessions],
  ['pglite (Database port)', pgliteSessions],
])('SQL isolation on %s', (_name, open) => {
  let sessions: AppSessions;
  let f: Fixture;
  let A: string;
  let B: string;
  const asA = <T>(work: (query: Query) => Promise<T>) => sessions.run(f.a.tenantId, f.a.userId, work);

  beforeAll(async () => {
    sessions = await open();
    f = await seedTwoTenants(sessions.owner);
    A = quote(f.a.tenantId);
    B = quote(f.b.tenantId);
  });
  afterAll(() => sessions?.close());

  it('runs as lumay_app: NOSUPERUSER, NOBYPASSRLS, member of no role, owner of nothing', async () => {
    const [role] = await asA((q) =>
      q<Record<string, unknown>>(
        `select current_user as name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb
           from pg_roles where rolname = current_user`,
      ),
    );
    expect(role).toEqual({
      name: 'lumay_app',
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
    });
    const appOid = "(select oid from pg_roles where rolname = 'lumay_app')";
    expect(
      await count(sessions.owner, `select count(*)::int as n from pg_class where relowner = ${appOid}`),
    ).toBe(0);
    expect(
      await count(sessions.owner, "select count(*)::int as n from pg_tables where tableowner = 'lumay_app'"),
    ).toBe(0);
    expect(
      await count(sessions.owner, `select count(*)::int as n from pg_auth_members where member = ${appOid}`),
    ).toBe(0);
  });

  it('forces RLS with USING and WITH CHECK on every tenant table, and lists every tenant_id table', async () => {
    const flags = await sessions.owner<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
    }>(
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
        where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`,
    );
    for (const table of RLS_TABLES) {
      expect(
        flags.find((row) => row.relname === table),
        table,
      ).toEqual({
        relname: table,
        relrowsecurity: true,
        relforcerowsecurity: true,
      });
    }
    const withTenantColumn = await sessions.owner<{ table_name: string }>(
      `select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
    );
    expect(withTenantColumn.map((row) => row.table_name).sort()).toEqual([...TENANT_TABLES].sort());
    for (const table of TENANT_TABLES) {
      const guards = await sessions.owner(
        `select 1 from pg_policies where schemaname = 'public' and tablename = ${quote(table)}
            and permissive = 'RESTRICTIVE' and cmd = 'ALL' and 'lumay_app' = any(roles)
            and qual like '%app.tenant_id%' and with_check like '%app.tenant_id%'`,
      );
      expect(guards, table).toHaveLength(1);
    }
  });

  it('shows no rows in any table without a tenant, and only the own tenant with one', async () => {
    for (const table of RLS_TABLES) {
      expect(
        await count(sessions.owner, `select count(*)::int as n from ${table}`),
        table,
      ).toBeGreaterThanOrEqual(2);
      const unscoped = await sessions.run(null, null, (q) =>
        count(q, `select count(*)::int as n from ${table}`),
      );
      expect(unscoped, table).toBe(0);
    }
    const own = await sessions.run(null, f.a.userId, async (q) => ({
      users: await q<{ id: string }>('select id from users'),
      agents: await count(q, 'select count(*)::int as n from agents'),
    }));
    expect(own).toEqual({ users: [{ id: f.a.userId }], agents: 0 });

    for (const table of TENANT_TABLES) {
      const expected = await count(
        sessions.owner,
        `select count(*)::int as n from ${table} where tenant_id = ${A}`,
      );
      const seen = await asA(async (q) => ({
        own: await count(q, `select count(*)::int as n from ${table}`),
        foreign: await count(q, `select count(*)::int as n from ${table} where tenant_id <> ${A}`),
      }));
      expect(seen, table).toEqual({ own: expected, foreign: 0 });
    }
    const identity = await asA(async (q) => ({
      tenants: await q<{ id: string }>('select id from tenants'),
      users: await q<{ id: string }>('select id from users'),
    }));
    expect(identity).toEqual({ tenants: [{ id: f.a.tenantId }], users: [{ id: f.a.userId }] });
  });

  it('treats an empty tenant setting (the "" left after a transaction) as no tenant', async () => {
    expect(await asA((q) => count(q, 'select count(*)::int as n from agents'))).toBe(1);
    const after = await sessions.run(null, null, async (q) => ({
      setting:
        (await q<{ v: string | null }>("select current_setting('app.tenant_id', true) as v"))[0]?.v ?? '',
      agents: await count(q, 'select count(*)::int as n from agents'),
    }));
    expect(after).toEqual({ setting: '', agents: 0 });
    const cleared = await asA(async (q) => {
      await q("select set_config('app.tenant_id', '', true)");
      return count(q, 'select count(*)::int as n from agents');
    });
    expect(cleared).toBe(0);
  });

  it('refuses cross-tenant INSERT, and UPDATE that moves a row to another tenant', async () => {
    const other = quote(`agt_${'1'.repeat(26)}`);
    await expectRefused(
      asA((q) => q(`insert into agents (id, tenant_id, name) values (${other}, ${B}, 'x')`)),
    );
    await expectRefused(
      asA((q) => q(`insert into outbox (id, tenant_id, topic, payload) values ('evt_x', ${B}, 't', '{}')`)),
    );
    await expectRefused(
      asA((q) =>
        q(`insert into audit_log (id, tenant_id, seq, occurred_at, actor_type, action, resource_type, prev_hash, hash)
           values ('aud_x', ${B}, 99, now(), 'system', 'forged', 'test', 'p', 'h')`),
      ),
    );
    await expectRefused(
      asA((q) =>
        q(
          `insert into memberships (id, tenant_id, user_id, role) values ('mem_x', ${B}, ${quote(f.a.userId)}, 'owner')`,
        ),
      ),
    );
    await expectRefused(asA((q) => q(`insert into tenants (id, name) values ('ten_x', 'rogue')`)));
    await expectRefused(asA((q) => q(`update agents set tenant_id = ${B} where id = ${quote(f.a.agentId)}`)));
    await expectRefused(asA((q) => q(`update memberships set tenant_id = ${B} where tenant_id = ${A}`)));
    expect(await count(sessions.owner, `select count(*)::int as n from agents where tenant_id = ${A}`)).toBe(
      1,
    );
    expect(await count(sessions.owner, "select count(*)::int as n from tenants where id = 'ten_x'")).toBe(0);
  });

  it("cannot touch another tenant's rows: UPDATE and DELETE match nothing, upserts are refused", async () => {
    const agentB = quote(f.b.agentId);
    const touched = await asA(async (q) => ({
      updated: await q(`update agents set name = 'pwned' where id = ${agentB} returning id`),
      deleted: await q(`delete from agents where tenant_id = ${B} returning id`),
      keys: await q(`update api_keys set revoked_at = now() where tenant_id = ${B} returning id`),
    }));
    expect(touched).toEqual({ updated: [], deleted: [], keys: [] });
    await expectRefused(
      asA((q) =>
        q(`insert into agents (id, tenant_id, name) values (${agentB}, ${A}, 'x')
           on conflict (id) do update set name = 'pwned'`),
      ),
    );
    await expectRefused(
      asA((q) =>
        q(`insert into agents (id, tenant_id, name) values (${quote(f.a.agentId)}, ${A}, 'x')
           on conflict (id) do update set tenant_id = ${B}`),
      ),
    );
    await expectRefused(
      asA((q) =>
        q(
          `insert into agents (id, tenant_id, name) values ('agt_new', ${B}, 'x') on conflict (id) do nothing`,
        ),
      ),
    );
    expect(await sessions.owner(`select name, tenant_id from agents where id = ${agentB}`)).toEqual([
      { name: 'agent b', tenant_id: f.b.tenantId },
    ]);
    expect(
      await count(sessions.owner, `select count(*)::int as n from api_keys where revoked_at is not null`),
    ).toBe(0);
  });

  it('cannot switch RLS off, rewrite policies, take ownership, truncate, or rewrite the audit log', async () => {
    for (const statement of [
      'alter table agents disable row level security',
      'alter table agents no force row level security',
      'alter table audit_log disable row level security',
      'drop policy agents_tenant_guard on agents',
      'create policy open_door on agents for all to lumay_app using (true) with check (true)',
      'alter table agents owner to lumay_app',
      'truncate agents',
      'truncate audit_log',
      `update audit_log set action = 'rewritten' where tenant_id = ${A}`,
      `delete from audit_log where tenant_id = ${A}`,
    ]) {
      await expectRefused(
        asA((q) => q(statement)),
        statement,
      );
    }
    const flags = await sessions.owner(
      "select relrowsecurity, relforcerowsecurity from pg_class where relname in ('agents', 'audit_log')",
    );
    expect(flags).toEqual([
      { relrowsecurity: true, relforcerowsecurity: true },
      { relrowsecurity: true, relforcerowsecurity: true },
    ]);
    expect(await sessions.owner(`select action from audit_log where tenant_id = ${A}`)).toEqual([
      { action: 'seed' },
    ]);
  });

  it('cannot create views or SECURITY DEFINER functions that read another tenant', async () => {
    for (const statement of [
      'create view public.leak as select * from public.agents',
      'create table public.leak (id text)',
      `create function public.leak() returns bigint language sql security definer as 'select count(*) from public.agents'`,
      `create function lumay_private.leak() returns bigint language sql security definer as 'select count(*) from public.agents'`,
    ]) {
      await expectRefused(
        asA((q) => q(statement)),
        statement,
      );
    }
    // Temporary objects are owned by lumay_app itself, so RLS still filters whatever they read.
    const temp = await asA(async (q) => {
      const [privilege] = await q<{ temp: boolean }>(
        "select has_database_privilege(current_user, current_database(), 'TEMP') as temp",
      );
      if (!privilege?.temp) return 'no temp privilege';
      await q('create temp view leak_view as select * from public.agents');
      await q(
        `create function pg_temp.leak() returns bigint language sql security definer as 'select count(*) from public.agents'`,
      );
      const seen = {
        view: await count(q, `select count(*)::int as n from leak_view where tenant_id = ${B}`),
        fn: (await q<{ n: number }>('select pg_temp.leak()::int as n'))[0]?.n,
      };
      await q('drop function pg_temp.leak()');
      await q('drop view leak_view');
      return seen;
    });
    expect(['no temp privilege', { view: 0, fn: 1 }]).toContainEqual(temp);
  });

  it('keeps the pre-authentication functions narrow', async () => {
    const results = await sessions.run(null, null, async (q) => ({
      exact: await q<{ user_id: string }>(
        `select user_id from lumay_private.login_lookup(${quote(f.a.email)})`,
      ),
      wildcard: await q("select * from lumay_private.login_lookup('%')"),
      empty: await q("select * from lumay_private.login_lookup('')"),
      injected: await q(`select * from lumay_private.login_lookup(${quote("' or 1=1 --")})`),
      idWildcard: await q<{ id: string | null }>("select lumay_private.user_id_by_email('%') as id"),
      tenantsOfA: await q<{ tenant_id: string }>(
        `select tenant_id from lumay_private.user_tenants(${quote(f.a.userId)})`,
      ),
      tenantsWildcard: await q("select * from lumay_private.user_tenants('%')"),
      platformAnonymous: await q('select * from lumay_private.platform_tenants(200, null)'),
    }));
    expect(results).toEqual({
      exact: [{ user_id: f.a.userId }],
      wildcard: [],
      empty: [],
      injected: [],
      idWildcard: [{ id: null }],
      tenantsOfA: [{ tenant_id: f.a.tenantId }],
      tenantsWildcard: [],
      platformAnonymous: [],
    });
    const platformTenants = (tenantId: string | null, userId: string | null) =>
      sessions.run(tenantId, userId, (q) =>
        q<{ id: string }>('select id from lumay_private.platform_tenants(200, null)'),
      );
    expect(await platformTenants(null, f.a.userId)).toEqual([]);
    expect(await platformTenants(f.a.tenantId, f.a.userId)).toEqual([]);
    expect(await platformTenants(null, `usr_${'0'.repeat(26)}`)).toEqual([]);
    const all = (await platformTenants(null, f.platformAdminId)).map((row) => row.id);
    expect(all).toEqual(expect.arrayContaining([f.a.tenantId, f.b.tenantId]));
  });

  it('cannot make anyone a platform administrator (trigger), though ordinary updates pass RLS', async () => {
    const renamed = await asA((q) =>
      q(`update users set name = 'A' where id = ${quote(f.a.userId)} returning id`),
    );
    expect(renamed).toEqual([{ id: f.a.userId }]);
    await expectRefused(
      asA((q) => q(`update users set is_platform_admin = true where id = ${quote(f.a.userId)}`)),
    );
    await expectRefused(
      asA((q) =>
        q(`insert into users (id, email, password_hash, is_platform_admin)
           values ('usr_rogue', 'rogue@sql.lumay', 'h', true)`),
      ),
    );
    const untouched = await asA((q) =>
      q(`update users set name = 'x' where id = ${quote(f.b.userId)} returning id`),
    );
    expect(untouched).toEqual([]);
    expect(
      await sessions.owner(
        `select id, is_platform_admin from users where id in (${quote(f.a.userId)}, 'usr_rogue')`,
      ),
    ).toEqual([{ id: f.a.userId, is_platform_admin: false }]);
  });
});
