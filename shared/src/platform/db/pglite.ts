import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import * as schema from '../../../../drizzle/schema/index.ts';
import type { Database, DrizzleHandle } from './database.ts';
import { MIGRATIONS_FOLDER } from './migrations-folder.ts';
import type { OwnerQuery } from './owner.ts';
import { createScopedDatabase } from './scoped.ts';

/**
 * The embedded database adapter: real Postgres compiled to WebAssembly, in-process, persisted under
 * `dataDir` (or in memory when `dataDir` is undefined). Migrated on open; same RLS as the server.
 */
export async function createPgliteDatabase(
  dataDir: string | undefined,
): Promise<{ db: Database; owner: OwnerQuery }> {
  // pgvector ships inside PGlite, so the embedded default gets vector retrieval like managed Postgres.
  const client = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } });
  const handle = drizzle(client, { schema });
  await migrate(handle, { migrationsFolder: MIGRATIONS_FOLDER });
  const db = createScopedDatabase({
    dialect: 'pglite',
    handle: handle as unknown as DrizzleHandle,
    close: () => client.close(),
  });
  const owner: OwnerQuery = async <Row>(text: string, params: unknown[] = []) =>
    (await client.query<Row>(text, params)).rows;
  return { db, owner };
}
