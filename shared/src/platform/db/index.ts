export type { Database, Schema, TenantScope, Tx } from './database.ts';
export { APP_ROLE } from './database.ts';
export { mapDatabaseError } from './errors.ts';
export type { OwnerQuery } from './owner.ts';
export type { PostgresOptions } from './postgres-js.ts';
export { createPostgresDatabase } from './postgres-js.ts';
export { rowsOf } from './rows.ts';
export { TENANT_TABLES, tables } from './schema.ts';
