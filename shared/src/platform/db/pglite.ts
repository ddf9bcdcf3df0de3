import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import * as schema from '../../../../drizzle/schema/index.ts';
import type { Database, DrizzleHandle } from './database.ts';
import { MIGRATIONS_FOLDER } from './migrations-folder.ts';
import { createScopedDatabase } from './scoped.ts';

/**
 * The embedded database adapter: real Postgres compiled to WebAssembly, in-process, persisted under
 * `dataDir` (or in memory when `dataDir` is undefined). Same migrations, same RLS as the server.
 */
export async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const client = await PGlite.create(dataDir ? { dataDir } : {});
  const handle = drizzle(client, { schema });
  await migrate(handle, { migrationsFolder: MIGRATIONS_FOLDER });
  return createScopedDatabase({
    dialect: 'pglite',
    handle: handle as unknown as DrizzleHandle,
    close: () => client.close(),
  });
}
