import { jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** A tenant's collection of documents that agents retrieve from (RAG). */
export const knowledgeBases = pgTable(
  'knowledge_bases',
  {
    id: id(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    description: text('description'),
    /** Embedding model used for this base's chunks: `{ provider, model, dimensions }` (null: lexical only). */
    embedding: jsonb('embedding').$type<{ provider: string; model: string; dimensions: number } | null>(),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [uniqueIndex('knowledge_bases_tenant_name_key').on(table.tenantId, table.name)],
);
