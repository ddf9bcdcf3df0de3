import { index, integer, pgTable, real, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { documents } from './documents.ts';
import { tenantId } from './tenant-column.ts';

/**
 * Retrieval units. Migration 0003 adds the generated `search` tsvector (GIN-indexed) and, where the
 * pgvector extension exists, an `embedding vector` column; `embedding_array` keeps the embedding
 * portable for servers without pgvector.
 */
export const documentChunks = pgTable(
  'document_chunks',
  {
    id: id(),
    tenantId: tenantId(),
    knowledgeBaseId: text('knowledge_base_id').notNull(),
    documentId: text('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    heading: text('heading'),
    content: text('content').notNull(),
    tokenCount: integer('token_count').notNull().default(0),
    embeddingArray: real('embedding_array').array(),
    createdAt: createdAt(),
  },
  (table) => [
    index('document_chunks_kb_idx').on(table.tenantId, table.knowledgeBaseId),
    index('document_chunks_document_idx').on(table.documentId, table.ordinal),
  ],
);
