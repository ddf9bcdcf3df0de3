import { sql } from 'drizzle-orm';
import { APP_ROLE, type Database, type DrizzleHandle, type TenantScope, type Tx } from './database.ts';
import { mapDatabaseError } from './errors.ts';

/**
 * Builds the `Database` port over any drizzle Postgres handle. The first statement of every
 * transaction switches to the application role and sets the tenant context in one round trip.
 */
export function createScopedDatabase(options: {
  dialect: Database['dialect'];
  handle: DrizzleHandle;
  close: () => Promise<void>;
}): Database {
  const { handle } = options;

  async function run<T>(tenantId: string, userId: string | null, work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await handle.transaction(async (tx) => {
        // Sent without awaiting: the driver writes it ahead of the work's first statement on the same
        // connection (pipelined), saving a round trip per request. Ordering is what makes this safe:
        // nothing of `work` runs before it, and if it fails the transaction is aborted, so every later
        // statement fails too (and RLS would show no rows without the context anyway).
        const context = tx
          .execute(
            sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${tenantId}, true), set_config('app.user_id', ${userId ?? ''}, true)`,
          )
          .then(() => undefined);
        try {
          const result = await work(tx as Tx);
          await context;
          return result;
        } catch (error) {
          // Report the context failure (the root cause) over the follow-on "transaction aborted".
          await context;
          throw error;
        }
      });
    } catch (error) {
      throw mapDatabaseError(error);
    }
  }

  return {
    dialect: options.dialect,
    withTenant: (scope: TenantScope, work) => {
      if (!scope.tenantId) throw new Error('withTenant requires a tenant id');
      return run(scope.tenantId, scope.userId, work);
    },
    withoutTenant: (userId, work) => run('', userId, work),
    ping: async () => {
      try {
        await handle.execute(sql`select 1`);
      } catch (error) {
        throw mapDatabaseError(error);
      }
    },
    close: options.close,
  };
}
