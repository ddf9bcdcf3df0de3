import { and, eq, lt, or } from 'drizzle-orm';
import { utf8 } from '../../core/index.ts';
import {
  type Database,
  type EventBus,
  type EventHandler,
  type TenantScope,
  tables,
} from '../../platform/index.ts';
import { isModelCallError, type ModelRegistry } from '../llm/index.ts';
import { hasVectorColumn, insertChunks } from './chunk-store.ts';
import type { ChunkingOptions } from './chunking.ts';
import { embedAll, resolveEmbeddingModel } from './embedding-config.ts';
import { decodeBase64, embeddingText, prepareDocument } from './indexing.ts';
import { decodeText, formatForResource } from './parsing/parse-document.ts';
import { type DocumentFormat, DocumentParseError } from './parsing/parsed-document.ts';
import { UrlFetchError, type UrlFetcher } from './sources/url-fetcher.ts';
import { UrlRefusedError } from './sources/url-policy.ts';
import { type DocumentRow, PENDING_CONTENT_KEY } from './views.ts';

/** What the ingest consumer needs; the composition root provides the fetcher (Node or edge adapter). */
export interface IngestConsumerDeps {
  readonly db: Database;
  readonly registry: ModelRegistry;
  readonly fetcher: UrlFetcher;
  readonly chunking?: ChunkingOptions;
  /** Chunks embedded and stored per transaction (one progress step). Default 64. */
  readonly batchSize?: number;
  /** A document left `processing` this long (a crashed worker) may be claimed again. Default 5 min. */
  readonly staleAfterMs?: number;
  /** Unexpected failures (not the document's fault), for the operator's log. */
  readonly onError?: (error: unknown, documentId: string) => void;
}

/** The consumer name on the bus (one durable queue). */
export const INGEST_CONSUMER = 'rag-ingest';

/** What happened to one delivery. */
export type IngestRunOutcome = 'ready' | 'failed' | 'skipped';

function failureMessage(error: unknown): { message: string; expected: boolean } {
  if (
    error instanceof UrlRefusedError ||
    error instanceof UrlFetchError ||
    error instanceof DocumentParseError
  ) {
    return { message: error.message, expected: true };
  }
  if (isModelCallError(error)) return { message: `Embedding failed: ${error.message}`, expected: true };
  return { message: 'Ingestion failed unexpectedly', expected: false };
}

async function sourceOf(
  row: DocumentRow,
  fetcher: UrlFetcher,
): Promise<{
  format: DocumentFormat;
  content: string | Uint8Array;
  mimeType: string | null;
  uri: string | null;
}> {
  const pending = row.metadata[PENDING_CONTENT_KEY];
  if (row.sourceType === 'url') {
    if (!row.sourceUri) throw new DocumentParseError('The document has no URL');
    const resource = await fetcher.fetch(row.sourceUri);
    const format = formatForResource(resource.contentType, resource.url, resource.body);
    if (!format) throw new DocumentParseError(`Unsupported content type ${resource.contentType ?? '(none)'}`);
    const content = format === 'pdf' ? resource.body : decodeText(resource.body, resource.charset);
    return { format, content, mimeType: resource.contentType, uri: resource.url };
  }
  if (pending === undefined)
    throw new DocumentParseError('The document content is no longer available; submit it again');
  if (row.sourceType === 'pdf') {
    const bytes = decodeBase64(pending);
    if (!bytes) throw new DocumentParseError('The stored PDF is not valid base64');
    return { format: 'pdf', content: bytes, mimeType: row.mimeType, uri: row.sourceUri };
  }
  return { format: row.sourceType, content: pending, mimeType: row.mimeType, uri: row.sourceUri };
}

/**
 * Runs one queued ingest. Idempotency comes from the document's state machine rather than from
 * `idempotentHandler`: progress must be visible while the job runs, so the work spans several
 * transactions. A compare-and-set claims the document (`queued` → `processing`, or a stale
 * `processing`); a redelivered event finds nothing to claim and is skipped. Then: fetch or decode the
 * source, parse, chunk, and embed and store the chunks batch by batch, each batch one transaction
 * that also advances `progress`; finally `ready` with progress 1. A failure marks the document
 * `failed` with the reason (never retried automatically; submitting the content again retries).
 */
export async function runIngest(
  deps: IngestConsumerDeps,
  tenantId: string,
  documentId: string,
): Promise<IngestRunOutcome> {
  const { db } = deps;
  const scope: TenantScope = { tenantId, userId: null };
  const staleBefore = new Date(Date.now() - (deps.staleAfterMs ?? 5 * 60_000));
  const claimed = await db.withTenant(scope, async (tx) => {
    const [row] = await tx
      .update(tables.documents)
      .set({ status: 'processing', progress: 0.02, error: null, updatedAt: new Date() })
      .where(
        and(
          eq(tables.documents.id, documentId),
          or(
            eq(tables.documents.status, 'queued'),
            and(eq(tables.documents.status, 'processing'), lt(tables.documents.updatedAt, staleBefore)),
          ),
        ),
      )
      .returning();
    if (!row) return null;
    // Leftovers of a crashed attempt.
    await tx.delete(tables.documentChunks).where(eq(tables.documentChunks.documentId, row.id));
    const [base] = await tx
      .select()
      .from(tables.knowledgeBases)
      .where(eq(tables.knowledgeBases.id, row.knowledgeBaseId));
    return base ? { row, base } : null;
  });
  if (!claimed) return 'skipped';
  const { row, base } = claimed;
  const setProgress = (progress: number) =>
    db.withTenant(scope, (tx) =>
      tx
        .update(tables.documents)
        .set({ progress, updatedAt: new Date() })
        .where(eq(tables.documents.id, documentId)),
    );

  try {
    const source = await sourceOf(row, deps.fetcher);
    const { parsed, chunks } = await prepareDocument(source.format, source.content, deps.chunking);
    await setProgress(0.1);
    const model = base.embedding ? resolveEmbeddingModel(deps.registry, base.embedding) : null;
    const batchSize = Math.max(1, deps.batchSize ?? 64);
    const owner = { tenantId, knowledgeBaseId: row.knowledgeBaseId, documentId };
    for (let start = 0; start < chunks.length; start += batchSize) {
      const batch = chunks.slice(start, start + batchSize);
      const embeddings = model ? await embedAll(model, batch.map(embeddingText)) : batch.map(() => null);
      const done = start + batch.length;
      const alive = await db.withTenant(scope, async (tx) => {
        const [current] = await tx
          .select({ id: tables.documents.id })
          .from(tables.documents)
          .where(and(eq(tables.documents.id, documentId), eq(tables.documents.status, 'processing')))
          .for('update');
        if (!current) return false;
        await insertChunks(tx, owner, batch, embeddings, await hasVectorColumn(db, tx));
        await tx
          .update(tables.documents)
          .set({ progress: 0.1 + (0.89 * done) / chunks.length, updatedAt: new Date() })
          .where(eq(tables.documents.id, documentId));
        return true;
      });
      // Deleted (or reset) while we worked: stop quietly.
      if (!alive) return 'skipped';
    }
    const { [PENDING_CONTENT_KEY]: _pending, autoTitle, ...metadata } = row.metadata;
    await db.withTenant(scope, (tx) =>
      tx
        .update(tables.documents)
        .set({
          status: 'ready',
          progress: 1,
          chunkCount: chunks.length,
          title: autoTitle && parsed.title ? parsed.title.slice(0, 500) : row.title,
          ...(source.mimeType ? { mimeType: source.mimeType } : {}),
          ...(source.uri && row.sourceType === 'url'
            ? { metadata: { ...metadata, finalUrl: source.uri } }
            : { metadata }),
          ...(row.sourceType === 'url'
            ? {
                byteSize:
                  typeof source.content === 'string' ? utf8(source.content).length : source.content.length,
              }
            : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(tables.documents.id, documentId), eq(tables.documents.status, 'processing'))),
    );
    return 'ready';
  } catch (error) {
    const { message, expected } = failureMessage(error);
    if (!expected) (deps.onError ?? logUnexpected)(error, documentId);
    const { [PENDING_CONTENT_KEY]: _pending, ...metadata } = row.metadata;
    await db.withTenant(scope, async (tx) => {
      await tx.delete(tables.documentChunks).where(eq(tables.documentChunks.documentId, documentId));
      await tx
        .update(tables.documents)
        .set({
          status: 'failed',
          error: message.slice(0, 500),
          chunkCount: 0,
          metadata,
          updatedAt: new Date(),
        })
        .where(eq(tables.documents.id, documentId));
    });
    return 'failed';
  }
}

function logUnexpected(error: unknown, documentId: string): void {
  console.error(
    JSON.stringify({ level: 'error', message: 'document ingest failed', documentId, error: String(error) }),
  );
}

/** The bus handler for `document.ingest.requested`. */
export function createIngestConsumer(deps: IngestConsumerDeps): EventHandler {
  return async (event) => {
    if (event.topic !== 'document.ingest.requested') return;
    const payload = event.payload as { documentId: string };
    await runIngest(deps, event.tenantId, payload.documentId);
  };
}

/**
 * Subscribes the ingest consumer: in-process on the embedded bus, a durable queue on RabbitMQ.
 *
 * @example
 * await registerIngestConsumer(bus, { db, registry, fetcher: createNodeUrlFetcher() });
 */
export async function registerIngestConsumer(bus: EventBus, deps: IngestConsumerDeps): Promise<void> {
  await bus.subscribe(INGEST_CONSUMER, ['document.ingest.requested'], createIngestConsumer(deps));
}
