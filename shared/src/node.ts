/**
 * Node-only adapters (file system, embedded Postgres, TCP clients). The edge bundle imports
 * `@lumay/shared` only, never this entry point.
 */
export { createPgliteDatabase } from './platform/db/pglite.ts';
export { migratePostgres } from './platform/db/postgres-migrate.ts';
