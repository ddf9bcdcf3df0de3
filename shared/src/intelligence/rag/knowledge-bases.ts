import { and, count, desc, eq, lt, sql } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import type { ModelRegistry } from '../llm/index.ts';
import {
  configureEmbedding,
  DEFAULT_KNOWLEDGE_EMBEDDING,
  type KnowledgeEmbeddingInput,
} from './embedding-config.ts';
import { findKnowledgeBase, type KnowledgeBaseView, scopeOf, toKnowledgeBaseView } from './views.ts';

/** Fields of a new knowledge base. */
export interface KnowledgeBaseInput {
  name: string;
  description?: string | null | undefined;
  /** The embedding model; omitted: offline hashing embeddings; null: lexical retrieval only. */
  embedding?: KnowledgeEmbeddingInput | null | undefined;
}

/** What may change after creation. The embedding model may not: stored vectors depend on it. */
export interface KnowledgeBasePatch {
  name?: string | undefined;
  description?: string | null | undefined;
}

/** A knowledge base with its size. */
export interface KnowledgeBaseDetails extends KnowledgeBaseView {
  documentCount: number;
  chunkCount: number;
}

async function assertNameFree(tx: Tx, name: string, exceptId?: string): Promise<void> {
  const [row] = await tx
    .select({ id: tables.knowledgeBases.id })
    .from(tables.knowledgeBases)
    .where(eq(tables.knowledgeBases.name, name));
  if (row && row.id !== exceptId)
    throw new AppError('conflict', `A knowledge base named "${name}" already exists`);
}

/**
 * Knowledge bases: a tenant's collections of documents for retrieval. Each has one embedding model
 * for all its chunks, fixed at creation. Every change is audited in its transaction; deleting a
 * knowledge base deletes its documents and chunks (foreign-key cascades).
 */
export function createKnowledgeBaseService(db: Database, registry: ModelRegistry) {
  return {
    async create(context: RequestContext, input: KnowledgeBaseInput): Promise<KnowledgeBaseView> {
      const embedding =
        input.embedding === null
          ? null
          : configureEmbedding(registry, input.embedding ?? DEFAULT_KNOWLEDGE_EMBEDDING);
      return db.withTenant(scopeOf(context), async (tx) => {
        await assertNameFree(tx, input.name);
        const [row] = await tx
          .insert(tables.knowledgeBases)
          .values({
            id: newId('knowledgeBase'),
            tenantId: context.tenantId,
            name: input.name,
            description: input.description ?? null,
            embedding,
            createdBy: context.actor.id,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const view = toKnowledgeBaseView(row);
        await appendAudit(tx, context, {
          action: 'knowledge_base.create',
          resourceType: 'knowledge_base',
          resourceId: view.id,
          after: view,
        });
        return view;
      });
    },

    async get(context: RequestContext, id: string): Promise<KnowledgeBaseDetails> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const view = toKnowledgeBaseView(await findKnowledgeBase(tx, id));
        const [totals] = await tx
          .select({
            documents: count(),
            chunks: sql<number>`coalesce(sum(${tables.documents.chunkCount}) filter (where ${tables.documents.status} = 'ready'), 0)::int`,
          })
          .from(tables.documents)
          .where(eq(tables.documents.knowledgeBaseId, id));
        return {
          ...view,
          documentCount: totals?.documents ?? 0,
          chunkCount: Number(totals?.chunks ?? 0),
        };
      });
    },

    async list(context: RequestContext, filters: { limit: number; cursor?: string | undefined }) {
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.knowledgeBases)
          .where(
            and(
              eq(tables.knowledgeBases.tenantId, context.tenantId),
              filters.cursor ? lt(tables.knowledgeBases.id, filters.cursor) : undefined,
            ),
          )
          .orderBy(desc(tables.knowledgeBases.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toKnowledgeBaseView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async update(context: RequestContext, id: string, patch: KnowledgeBasePatch): Promise<KnowledgeBaseView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const before = await findKnowledgeBase(tx, id);
        if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
        const [row] = await tx
          .update(tables.knowledgeBases)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            updatedAt: new Date(),
          })
          .where(eq(tables.knowledgeBases.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Knowledge base not found');
        const after = toKnowledgeBaseView(row);
        await appendAudit(tx, context, {
          action: 'knowledge_base.update',
          resourceType: 'knowledge_base',
          resourceId: id,
          before: toKnowledgeBaseView(before),
          after,
        });
        return after;
      });
    },

    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        const before = await findKnowledgeBase(tx, id);
        await tx.delete(tables.knowledgeBases).where(eq(tables.knowledgeBases.id, id));
        await appendAudit(tx, context, {
          action: 'knowledge_base.delete',
          resourceType: 'knowledge_base',
          resourceId: id,
          before: toKnowledgeBaseView(before),
        });
      });
    },
  };
}

export type KnowledgeBaseService = ReturnType<typeof createKnowledgeBaseService>;
