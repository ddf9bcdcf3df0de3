import { eq, sql } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { type Database, rowsOf, tables } from '../../platform/index.ts';
import { appendAudit } from '../audit.ts';
import type { Actor, RequestContext } from '../context.ts';
import { addMember } from './members.ts';
import type { PasswordHasher } from './passwords.ts';

type TenantRow = typeof tables.tenants.$inferSelect;

export interface TenantView {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: string;
  updatedAt: string;
}

export function toTenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Tenant lifecycle. Creating a tenant is the platform operators' cross-tenant path: it runs inside
 * the *new* tenant's scope (RLS still checks every row) and is audited in that tenant's chain with
 * the operator as actor.
 */
export function createTenantService(db: Database, passwords: PasswordHasher) {
  return {
    async create(
      operator: { actor: Actor; requestId: string; ip: string | null },
      input: {
        name: string;
        owner: { email: string; password?: string | undefined; name?: string | undefined };
      },
    ) {
      const tenantId = newId('tenant');
      const context: RequestContext = {
        tenantId,
        actor: operator.actor,
        role: 'owner',
        requestId: operator.requestId,
        ip: operator.ip,
      };
      return db.withTenant({ tenantId, userId: operator.actor.id }, async (tx) => {
        const [row] = await tx.insert(tables.tenants).values({ id: tenantId, name: input.name }).returning();
        if (!row) throw new Error('insert returned no row');
        const tenant = toTenantView(row);
        await appendAudit(tx, context, {
          action: 'tenant.create',
          resourceType: 'tenant',
          resourceId: tenantId,
          after: tenant,
        });
        const { member, temporaryPassword } = await addMember(tx, context, passwords, {
          ...input.owner,
          role: 'owner',
        });
        return { tenant, owner: member, ...(temporaryPassword ? { temporaryPassword } : {}) };
      });
    },

    /** Cross-tenant listing; the database function itself re-checks that the caller is a platform admin. */
    async listAll(operatorUserId: string, options: { limit: number; cursor?: string | undefined }) {
      return db.withoutTenant(operatorUserId, async (tx) => {
        const rows = rowsOf<{
          id: string;
          name: string;
          status: 'active' | 'suspended';
          created_at: string | Date;
        }>(
          await tx.execute(
            sql`select * from lumay_private.platform_tenants(${options.limit + 1}, ${options.cursor ?? null})`,
          ),
        );
        const page = rows.slice(0, options.limit);
        return {
          data: page.map((row) => ({
            id: row.id,
            name: row.name,
            status: row.status,
            createdAt: new Date(row.created_at).toISOString(),
          })),
          nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async current(context: RequestContext): Promise<TenantView> {
      return db.withTenant({ tenantId: context.tenantId, userId: context.actor.id }, async (tx) => {
        const [row] = await tx.select().from(tables.tenants).where(eq(tables.tenants.id, context.tenantId));
        if (!row) throw new AppError('not_found', 'Tenant not found');
        return toTenantView(row);
      });
    },

    async update(context: RequestContext, input: { name?: string | undefined }): Promise<TenantView> {
      return db.withTenant({ tenantId: context.tenantId, userId: context.actor.id }, async (tx) => {
        const [before] = await tx
          .select()
          .from(tables.tenants)
          .where(eq(tables.tenants.id, context.tenantId));
        if (!before) throw new AppError('not_found', 'Tenant not found');
        const [row] = await tx
          .update(tables.tenants)
          .set({ ...(input.name ? { name: input.name } : {}), updatedAt: new Date() })
          .where(eq(tables.tenants.id, context.tenantId))
          .returning();
        if (!row) throw new AppError('not_found', 'Tenant not found');
        const after = toTenantView(row);
        await appendAudit(tx, context, {
          action: 'tenant.update',
          resourceType: 'tenant',
          resourceId: context.tenantId,
          before: toTenantView(before),
          after,
        });
        return after;
      });
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
