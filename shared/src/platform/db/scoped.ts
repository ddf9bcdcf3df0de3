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
        await tx.execute(
          sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${tenantId}, true), set_config('app.user_id', ${userId ?? ''}, true)`,
        );
        return work(tx as Tx);
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
