import { fileURLToPath } from 'node:url';

/** Absolute path of the generated SQL migrations (Node only: the edge never migrates). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../../drizzle/migrations', import.meta.url));
