import { migratePostgres } from '@lumay/shared/node';

/**
 * `npm run migrate`: applies the SQL migrations in drizzle/migrations to a Postgres server, as the
 * schema owner. Idempotent (applied migrations are recorded in `drizzle.__drizzle_migrations`) and
 * safe to run concurrently (an advisory lock serializes runs). The application itself connects as
 * `lumay_app`, which the migrations create; it owns no table and cannot bypass row-level security.
 *
 *   MIGRATION_DATABASE_URL=postgres://owner@host:5432/lumay npm run migrate
 */
const url = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;

if (!url) {
  console.error(
    'npm run migrate needs MIGRATION_DATABASE_URL (preferred: a role that owns the schema) or DATABASE_URL,\n' +
      'e.g. MIGRATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumay npm run migrate',
  );
  process.exit(78);
}
if (!/^postgres(ql)?:\/\//.test(url)) {
  console.error('MIGRATION_DATABASE_URL / DATABASE_URL must be a postgres:// connection URL');
  process.exit(78);
}

/** The URL without its password, for the log line. */
function redacted(value: string): string {
  const parsed = new URL(value);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

try {
  await migratePostgres(url);
  console.log(`Migrations applied (or already up to date) on ${redacted(url)}`);
} catch (error) {
  console.error(
    `Migration failed on ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
