import { and, desc, eq, ilike, lt, sql } from 'drizzle-orm';
import { AppError, newId } from '../core/index.ts';
import { appendAudit, type RequestContext } from '../governance/index.ts';
import { type Cache, type Database, enqueueEvent, readThrough, type Tx, tables } from '../platform/index.ts';

type AgentRow = typeof tables.agents.$inferSelect;
export type AgentStatus = AgentRow['status'];

export interface AgentView {
  id: string;
  name: string;
  description: string | null;
  status: AgentStatus;
  language: string;
  config: Record<string, unknown>;
  metadata: Record<string, string>;
  version: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AgentInput {
  name: string;
  description?: string | null | undefined;
  status?: AgentStatus | undefined;
  language?: string | undefined;
  config?: Record<string, unknown> | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface AgentFilters {
  limit: number;
  cursor?: string | undefined;
  status?: AgentStatus | undefined;
  /** Case-insensitive substring of the name. */
  q?: string | undefined;
}

export function toAgentView(row: AgentRow): AgentView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    language: row.language,
    config: row.config,
    metadata: row.metadata,
    version: row.version,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (match) => `\\${match}`);
}

async function findAgent(tx: Tx, id: string): Promise<AgentRow> {
  const [row] = await tx.select().from(tables.agents).where(eq(tables.agents.id, id));
  if (!row) throw new AppError('not_found', 'Agent not found');
  return row;
}

/** Agent configuration stays cached this long at most; changes evict it sooner. */
export const AGENT_CACHE_TTL_SECONDS = 300;

/** Cache key of an agent's current configuration; the tenant is always part of the key. */
export function agentCacheKey(tenantId: string, agentId: string): string {
  return `t:${tenantId}:agent:${agentId}`;
}

/**
 * Agents: the unit a tenant configures and customers talk to. Every change is audited and emits
 * `config.changed` through the outbox in the same transaction. Reads of one agent go through a
 * read-through cache (tenant and id in the key, the version in the value); writes evict the entry
 * after commit, and the `config.changed` consumer evicts it again in case that eviction was missed.
 */
export function createAgentService(db: Database, cache?: Cache) {
  const scope = (context: RequestContext) => ({
    tenantId: context.tenantId,
    userId: context.actor.type === 'user' ? context.actor.id : null,
  });

  return {
    async create(context: RequestContext, input: AgentInput): Promise<AgentView> {
      return db.withTenant(scope(context), async (tx) => {
        const [row] = await tx
          .insert(tables.agents)
          .values({
            id: newId('agent'),
            tenantId: context.tenantId,
            name: input.name,
            description: input.description ?? null,
            status: input.status ?? 'draft',
            language: input.language ?? 'en',
            config: input.config ?? {},
            metadata: input.metadata ?? {},
            createdBy: context.actor.id,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const agent = toAgentView(row);
        await appendAudit(tx, context, {
          action: 'agent.create',
          resourceType: 'agent',
          resourceId: agent.id,
          after: agent,
        });
        await enqueueEvent(tx, context.tenantId, 'config.changed', {
          resourceType: 'agent',
          resourceId: agent.id,
          version: agent.version,
        });
        return agent;
      });
    },

    async get(context: RequestContext, id: string): Promise<AgentView> {
      const load = () => db.withTenant(scope(context), async (tx) => toAgentView(await findAgent(tx, id)));
      return cache
        ? readThrough(cache, agentCacheKey(context.tenantId, id), AGENT_CACHE_TTL_SECONDS, load)
        : load();
    },

    async list(context: RequestContext, filters: AgentFilters) {
      return db.withTenant(scope(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.agents)
          .where(
            and(
              eq(tables.agents.tenantId, context.tenantId),
              filters.cursor ? lt(tables.agents.id, filters.cursor) : undefined,
              filters.status ? eq(tables.agents.status, filters.status) : undefined,
              filters.q ? ilike(tables.agents.name, `%${escapeLike(filters.q)}%`) : undefined,
            ),
          )
          .orderBy(desc(tables.agents.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toAgentView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    /** Partial update; `expectedVersion`, when given, makes it a compare-and-set (409 on a stale write). */
    async update(
      context: RequestContext,
      id: string,
      patch: Partial<AgentInput>,
      expectedVersion?: number,
    ): Promise<AgentView> {
      const updated = await db.withTenant(scope(context), async (tx) => {
        const before = await findAgent(tx, id);
        if (expectedVersion !== undefined && expectedVersion !== before.version) {
          throw new AppError('conflict', `Agent is at version ${before.version}, not ${expectedVersion}`);
        }
        const [row] = await tx
          .update(tables.agents)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.status !== undefined ? { status: patch.status } : {}),
            ...(patch.language !== undefined ? { language: patch.language } : {}),
            ...(patch.config !== undefined ? { config: patch.config } : {}),
            ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
            version: sql`${tables.agents.version} + 1`,
            updatedAt: new Date(),
          })
          .where(eq(tables.agents.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Agent not found');
        const after = toAgentView(row);
        await appendAudit(tx, context, {
          action: 'agent.update',
          resourceType: 'agent',
          resourceId: id,
          before: toAgentView(before),
          after,
        });
        await enqueueEvent(tx, context.tenantId, 'config.changed', {
          resourceType: 'agent',
          resourceId: id,
          version: after.version,
        });
        return after;
      });
      await cache?.delete(agentCacheKey(context.tenantId, id));
      return updated;
    },

    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scope(context), async (tx) => {
        const before = await findAgent(tx, id);
        await tx.delete(tables.agents).where(eq(tables.agents.id, id));
        // Intents only make sense for their agent (conversations and transcripts are kept as history).
        await tx.delete(tables.intents).where(eq(tables.intents.agentId, id));
        await appendAudit(tx, context, {
          action: 'agent.delete',
          resourceType: 'agent',
          resourceId: id,
          before: toAgentView(before),
        });
        await enqueueEvent(tx, context.tenantId, 'config.changed', { resourceType: 'agent', resourceId: id });
      });
      await cache?.delete(agentCacheKey(context.tenantId, id));
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
