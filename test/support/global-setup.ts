import postgres from 'postgres';
import { TEST_POSTGRES_URL } from './services.ts';

/** Whether a local process with this id still runs (the pid is part of each test database's name). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
      // Several test runs may share the server: only drop databases whose creating process is gone.
      if (processAlive(Number(/^lumay_t_(\d+)_/.exec(datname)?.[1]))) continue;
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
