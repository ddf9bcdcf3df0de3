import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type * as schema from '../../../../drizzle/schema/index.ts';

export type Schema = typeof schema;

/** A transaction whose session is already scoped to one tenant (or to none, pre-authentication). */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** The drizzle handle an adapter wraps; never handed to callers outside `platform/db`. */
export type DrizzleHandle = PgDatabase<PgQueryResultHKT, Schema>;

/** Who a transaction runs for: RLS reads `app.tenant_id` and `app.user_id` from this. */
export interface TenantScope {
  readonly tenantId: string;
  readonly userId: string | null;
}

/**
 * The database port. All tenant data goes through `withTenant`, which opens one transaction,
 * switches to the non-owner application role and sets the tenant context transaction-locally
 * (safe under transaction pooling: Hyperdrive, PgBouncer).
 */
export interface Database {
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `work` in one transaction scoped to `scope.tenantId`; commits when it resolves. */
  withTenant<T>(scope: TenantScope, work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `work` as the application role with no tenant set: every tenant table reads empty.
   * Only the `lumay_private` SECURITY DEFINER functions return rows here: the pre-authentication
   * lookups, and the outbox relay's cross-tenant `outbox_claim` / `outbox_mark_sent` /
   * `outbox_record_failure` (row locks they take last until `work` settles).
   */
  withoutTenant<T>(userId: string | null, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The role every request runs as: NOSUPERUSER, NOBYPASSRLS, owns no table (see migrations). */
export const APP_ROLE = 'lumay_app';
