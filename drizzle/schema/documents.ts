import { index, integer, jsonb, pgTable, real, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { knowledgeBases } from './knowledge-bases.ts';
import { tenantId } from './tenant-column.ts';

/** One ingested source (text, Markdown, HTML, PDF or URL) and its ingest job state. */
export const documents = pgTable(
  'documents',
  {
    id: id(),
    tenantId: tenantId(),
    knowledgeBaseId: text('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sourceType: text('source_type', { enum: ['text', 'markdown', 'html', 'pdf', 'url'] }).notNull(),
    sourceUri: text('source_uri'),
    mimeType: text('mime_type'),
    /** SHA-256 of the normalised content: re-ingesting the same content is a no-op. */
    contentHash: text('content_hash').notNull(),
    byteSize: integer('byte_size').notNull().default(0),
    status: text('status', { enum: ['queued', 'processing', 'ready', 'failed'] })
      .notNull()
      .default('queued'),
    progress: real('progress').notNull().default(0),
    chunkCount: integer('chunk_count').notNull().default(0),
    error: text('error'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('documents_kb_hash_key').on(table.tenantId, table.knowledgeBaseId, table.contentHash),
    index('documents_kb_idx').on(table.tenantId, table.knowledgeBaseId, table.id),
  ],
);
