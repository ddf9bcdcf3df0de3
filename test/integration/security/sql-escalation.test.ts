import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppSessions,
  expectRefused,
  type Fixture,
  postgresLoginSessions,
  seedTwoTenants,
} from './sql-sessions.ts';

/**
 * Postgres only: checks that need the session user itself to be lumay_app. (PGlite and the owner-URL
 * adapter reach lumay_app through SET ROLE from a superuser session, which a later SET ROLE can undo;
 * production connects as lumay_app, which this file proves cannot climb back out.)
 */
describe('SQL isolation on postgres: the lumay_app login cannot escalate', () => {
  let sessions: AppSessions;
  let f: Fixture;
  let app: postgres.Sql;

  beforeAll(async () => {
    sessions = await postgresLoginSessions();
    f = await seedTwoTenants(sessions.owner);
    app = postgres(sessions.appUrl ?? '', { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await app?.end({ timeout: 5 });
    await sessions?.close();
  });

  it('cannot become another role, lift its own limits or reach the server', async () => {
    for (const statement of [
      'set role postgres',
      'set role lumay_auth',
      "select set_config('role', 'postgres', true)",
      'set session authorization postgres',
      'alter role lumay_app bypassrls',
      'alter role lumay_app superuser',
      'create role rogue login superuser',
      "select pg_read_file('/etc/hostname')",
      "copy agents to program 'true'",
    ]) {
      await expectRefused(
        sessions.run(f.a.tenantId, null, (q) => q(statement)),
        statement,
      );
    }
    const reset = await sessions.run(f.a.tenantId, null, async (q) => {
      await q('reset role');
      return q<{ user: string }>('select current_user as user');
    });
    expect(reset).toEqual([{ user: 'lumay_app' }]);
  });

  it('cannot turn row security off for itself: row_security = off makes queries fail, not leak', async () => {
    await expectRefused(
      sessions.run(null, null, async (q) => {
        await q('set local row_security = off');
        return q('select * from agents');
      }),
    );
  });

  it('sees nothing on a pooled connection after an earlier tenant transaction committed', async () => {
    const connection = await app.reserve();
    try {
      // Explicit BEGIN/COMMIT on one reserved connection: exactly what a transaction pooler hands on.
      await connection`begin`;
      await connection`select set_config('app.tenant_id', ${f.a.tenantId}, true)`;
      const [inside] = await connection<{ n: number }[]>`select count(*)::int as n from agents`;
      await connection`commit`;
      expect(inside?.n).toBe(1);
      const [after] = await connection<{ setting: string | null; n: number }[]>`
        select current_setting('app.tenant_id', true) as setting, (select count(*)::int from agents) as n`;
      expect(after).toEqual({ setting: '', n: 0 });
    } finally {
      connection.release();
    }
  });
});
