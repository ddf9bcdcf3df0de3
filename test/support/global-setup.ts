import postgres from 'postgres';
import { TEST_POSTGRES_URL } from './services.ts';

/**
 * Fails the run up front, with a clear message, when Postgres is not reachable: integration tests
 * never skip silently. Also drops test databases left behind by an interrupted earlier run.
 */
export default async function setup(): Promise<void> {
  const sql = postgres(TEST_POSTGRES_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    const stale = await sql<{ datname: string }[]>`
      select datname from pg_database where datname like 'lumay_t_%'`;
    for (const { datname } of stale) {
      await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    }
  } catch (error) {
    throw new Error(
      `Integration tests need PostgreSQL at ${TEST_POSTGRES_URL} (set TEST_DATABASE_URL): ${String(error)}`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}
