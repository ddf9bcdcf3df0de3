import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError, isAppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, enqueueEvent, type Tx, tables } from '../../platform/index.ts';
import type { ModelRegistry } from '../llm/index.ts';
import { hasVectorColumn, insertChunks } from './chunk-store.ts';
import type { ChunkingOptions } from './chunking.ts';
import { DEFAULT_INLINE_MAX_BYTES, type DocumentInput, prepareSubmission } from './document-input.ts';
import { embedAll, resolveEmbeddingModel } from './embedding-config.ts';
import { embeddingText, prepareDocument } from './indexing.ts';
import type { UrlPolicy } from './sources/url-policy.ts';
import {
  type DocumentRow,
  type DocumentStatus,
  type DocumentView,
  findKnowledgeBase,
  PENDING_CONTENT_KEY,
  scopeOf,
  toDocumentView,
} from './views.ts';

/** `created`: indexed inline; `queued`: left to the ingest consumer; `existing`: same content hash. */
export interface IngestResult {
  document: DocumentView;
  outcome: 'created' | 'queued' | 'existing';
}

/** Settings of document ingestion. */
export interface DocumentServiceOptions {
  /** Text, Markdown and HTML up to this many bytes are indexed inside the request. Default 64 KiB. */
  readonly inlineMaxBytes?: number;
  /** What URLs may name (checked again, with DNS, by the fetcher). Default: public hosts only. */
  readonly urlPolicy?: UrlPolicy;
  readonly chunking?: ChunkingOptions;
}

async function findByHash(tx: Tx, knowledgeBaseId: string, hash: string): Promise<DocumentRow | undefined> {
  const [row] = await tx
    .select()
    .from(tables.documents)
    .where(
      and(eq(tables.documents.knowledgeBaseId, knowledgeBaseId), eq(tables.documents.contentHash, hash)),
    );
  return row;
}

async function findDocument(tx: Tx, knowledgeBaseId: string, id: string): Promise<DocumentRow> {
  const [row] = await tx
    .select()
    .from(tables.documents)
    .where(and(eq(tables.documents.id, id), eq(tables.documents.knowledgeBaseId, knowledgeBaseId)));
  if (!row) throw new AppError('not_found', 'Document not found');
  return row;
}

/**
 * Documents of a knowledge base. Ingesting content whose hash the knowledge base already holds
 * returns that document and changes nothing (a failed one is queued again). Small text, Markdown
 * and HTML are parsed, chunked, embedded and stored inside the request; PDFs, URLs and anything
 * over `inlineMaxBytes` are stored as `queued` with `document.ingest.requested` in the outbox of the
 * same transaction, for the ingest consumer. Creation and deletion are audited; deleting a document
 * deletes its chunks (foreign-key cascade).
 */
export function createDocumentService(
  db: Database,
  registry: ModelRegistry,
  options: DocumentServiceOptions = {},
) {
  const inlineMaxBytes = options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES;
  const policy = options.urlPolicy ?? {};

  async function ingestOnce(
    context: RequestContext,
    knowledgeBaseId: string,
    input: DocumentInput,
  ): Promise<IngestResult> {
    const prepared = await prepareSubmission(input, inlineMaxBytes, policy);
    const base = await db.withTenant(scopeOf(context), (tx) => findKnowledgeBase(tx, knowledgeBaseId));
    // Parsing and embedding (possibly a network call) happen before the transaction opens.
    const indexed =
      prepared.inline !== null && input.type !== 'url' && input.type !== 'pdf'
        ? await (async () => {
            const { parsed, chunks } = await prepareDocument(
              input.type,
              prepared.inline ?? '',
              options.chunking,
            );
            const model = base.embedding ? resolveEmbeddingModel(registry, base.embedding) : null;
            const embeddings = model
              ? await embedAll(model, chunks.map(embeddingText))
              : chunks.map(() => null);
            return { parsed, chunks, embeddings };
          })()
        : null;

    return db.withTenant(scopeOf(context), async (tx) => {
      await findKnowledgeBase(tx, knowledgeBaseId);
      const existing = await findByHash(tx, knowledgeBaseId, prepared.hash);
      if (existing && existing.status !== 'failed')
        return { document: toDocumentView(existing), outcome: 'existing' };
      const title = prepared.autoTitle && indexed?.parsed.title ? indexed.parsed.title : prepared.title;
      const metadata: Record<string, string> = {
        ...(prepared.autoTitle ? { autoTitle: 'true' } : {}),
        ...(prepared.pending !== null ? { [PENDING_CONTENT_KEY]: prepared.pending } : {}),
      };
      const status: DocumentStatus = indexed ? 'ready' : 'queued';
      const fields = {
        title,
        status,
        progress: indexed ? 1 : 0,
        chunkCount: indexed?.chunks.length ?? 0,
        error: null,
        metadata,
        byteSize: prepared.byteSize,
        updatedAt: new Date(),
      };
      let row: DocumentRow | undefined;
      if (existing) {
        // A failed document with the same content: try again with the new submission.
        [row] = await tx
          .update(tables.documents)
          .set(fields)
          .where(eq(tables.documents.id, existing.id))
          .returning();
      } else {
        [row] = await tx
          .insert(tables.documents)
          .values({
            id: newId('document'),
            tenantId: context.tenantId,
            knowledgeBaseId,
            sourceType: prepared.sourceType,
            sourceUri: prepared.sourceUri,
            mimeType: prepared.mimeType,
            contentHash: prepared.hash,
            createdBy: context.actor.id,
            ...fields,
          })
          .returning();
      }
      if (!row) throw new Error('document write returned no row');
      if (indexed) {
        await tx.delete(tables.documentChunks).where(eq(tables.documentChunks.documentId, row.id));
        const owner = { tenantId: context.tenantId, knowledgeBaseId, documentId: row.id };
        await insertChunks(tx, owner, indexed.chunks, indexed.embeddings, await hasVectorColumn(db, tx));
      } else {
        await enqueueEvent(tx, context.tenantId, 'document.ingest.requested', {
          documentId: row.id,
          knowledgeBaseId,
        });
      }
      const document = toDocumentView(row);
      await appendAudit(tx, context, {
        action: existing ? 'document.retry' : 'document.create',
        resourceType: 'document',
        resourceId: document.id,
        ...(existing ? { before: toDocumentView(existing) } : {}),
        after: document,
      });
      return { document, outcome: indexed ? 'created' : 'queued' };
    });
  }

  return {
    async ingest(
      context: RequestContext,
      knowledgeBaseId: string,
      input: DocumentInput,
    ): Promise<IngestResult> {
      try {
        return await ingestOnce(context, knowledgeBaseId, input);
      } catch (error) {
        // Two identical submissions at once: the loser of the unique (kb, hash) race returns the winner's document.
        if (!isAppError(error) || error.code !== 'conflict') throw error;
        const prepared = await prepareSubmission(input, inlineMaxBytes, policy);
        const existing = await db.withTenant(scopeOf(context), (tx) =>
          findByHash(tx, knowledgeBaseId, prepared.hash),
        );
        if (!existing) throw error;
        return { document: toDocumentView(existing), outcome: 'existing' };
      }
    },

    async get(context: RequestContext, knowledgeBaseId: string, id: string): Promise<DocumentView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        await findKnowledgeBase(tx, knowledgeBaseId);
        return toDocumentView(await findDocument(tx, knowledgeBaseId, id));
      });
    },

    async list(
      context: RequestContext,
      knowledgeBaseId: string,
      filters: { limit: number; cursor?: string | undefined; status?: DocumentStatus | undefined },
    ) {
      return db.withTenant(scopeOf(context), async (tx) => {
        await findKnowledgeBase(tx, knowledgeBaseId);
        const rows = await tx
          .select()
          .from(tables.documents)
          .where(
            and(
              eq(tables.documents.tenantId, context.tenantId),
              eq(tables.documents.knowledgeBaseId, knowledgeBaseId),
              filters.cursor ? lt(tables.documents.id, filters.cursor) : undefined,
              filters.status ? eq(tables.documents.status, filters.status) : undefined,
            ),
          )
          .orderBy(desc(tables.documents.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toDocumentView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async remove(context: RequestContext, knowledgeBaseId: string, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        await findKnowledgeBase(tx, knowledgeBaseId);
        const before = await findDocument(tx, knowledgeBaseId, id);
        await tx.delete(tables.documents).where(eq(tables.documents.id, id));
        await appendAudit(tx, context, {
          action: 'document.delete',
          resourceType: 'document',
          resourceId: id,
          before: toDocumentView(before),
        });
      });
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
