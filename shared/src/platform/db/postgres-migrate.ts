import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER } from './migrations-folder.ts';
import type { OwnerQuery } from './owner.ts';

/** Arbitrary but fixed: serializes concurrent `migrate` runs against one database. */
const MIGRATION_LOCK_KEY = 7_341_902_118;

/**
 * Applies pending migrations as the connecting (owner) role. Idempotent: applied migrations are
 * recorded in `drizzle.__drizzle_migrations`, and concurrent runs wait on an advisory lock.
 */
export async function migratePostgres(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** An owner-role connection for bootstrap steps; close it when done. */
export function createPostgresOwner(url: string): { owner: OwnerQuery; close: () => Promise<void> } {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const owner: OwnerQuery = async <Row>(text: string, params: unknown[] = []) =>
    (await client.unsafe(text, params as never[])) as unknown as Row[];
  return { owner, close: () => client.end({ timeout: 5 }) };
}
