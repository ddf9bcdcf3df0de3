export { APP_ROLE } from './database.ts';
export type { Database, Schema, TenantScope, Tx } from './database.ts';
export { mapDatabaseError } from './errors.ts';
export type { OwnerQuery } from './owner.ts';
export { rowsOf } from './rows.ts';
export { createPostgresDatabase } from './postgres-js.ts';
export type { PostgresOptions } from './postgres-js.ts';
export { TENANT_TABLES, tables } from './schema.ts';
