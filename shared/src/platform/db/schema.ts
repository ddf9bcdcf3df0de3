/** The platform's tables, defined once under `drizzle/schema/` and re-exported for the data layer. */
export * as tables from '../../../../drizzle/schema/index.ts';
export { TENANT_TABLES } from '../../../../drizzle/schema/index.ts';
