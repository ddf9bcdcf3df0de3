import { and, desc, eq, gte, lt, lte } from 'drizzle-orm';
import { type Database, tables } from '../platform/index.ts';
import { verifyAuditChain } from './audit.ts';
import type { RequestContext } from './context.ts';

export interface AuditFilters {
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  actorId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  /** The `seq` to continue below (newest first). */
  cursor?: number | undefined;
}

type AuditRow = typeof tables.auditLog.$inferSelect;

export function toAuditView(row: AuditRow) {
  return { ...row, occurredAt: row.occurredAt.toISOString() };
}

export function createAuditService(db: Database) {
  const scope = (context: RequestContext) => ({ tenantId: context.tenantId, userId: context.actor.id });
  return {
    async list(context: RequestContext, filters: AuditFilters) {
      const log = tables.auditLog;
      return db.withTenant(scope(context), async (tx) => {
        const rows = await tx
          .select()
          .from(log)
          .where(
            and(
              eq(log.tenantId, context.tenantId),
              filters.action ? eq(log.action, filters.action) : undefined,
              filters.resourceType ? eq(log.resourceType, filters.resourceType) : undefined,
              filters.resourceId ? eq(log.resourceId, filters.resourceId) : undefined,
              filters.actorId ? eq(log.actorId, filters.actorId) : undefined,
              filters.from ? gte(log.occurredAt, filters.from) : undefined,
              filters.to ? lte(log.occurredAt, filters.to) : undefined,
              filters.cursor !== undefined ? lt(log.seq, filters.cursor) : undefined,
            ),
          )
          .orderBy(desc(log.seq))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        const last = page.at(-1);
        return {
          data: page.map(toAuditView),
          nextCursor: rows.length > filters.limit && last ? String(last.seq) : null,
        };
      });
    },

    verify: (context: RequestContext) =>
      db.withTenant(scope(context), (tx) => verifyAuditChain(tx, context.tenantId)),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
