import { eq } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type TenantScope, type Tx, tables } from '../../platform/index.ts';
import type { KnowledgeBaseEmbedding } from './embedding-config.ts';

export type KnowledgeBaseRow = typeof tables.knowledgeBases.$inferSelect;
export type DocumentRow = typeof tables.documents.$inferSelect;
export type DocumentStatus = DocumentRow['status'];
export type DocumentSourceType = DocumentRow['sourceType'];

/** A knowledge base as the API shows it. */
export interface KnowledgeBaseView {
  id: string;
  name: string;
  description: string | null;
  /** Null: lexical retrieval only. */
  embedding: KnowledgeBaseEmbedding | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A document and its ingest job state as the API shows it (never its content). */
export interface DocumentView {
  id: string;
  knowledgeBaseId: string;
  title: string;
  sourceType: DocumentSourceType;
  sourceUri: string | null;
  mimeType: string | null;
  contentHash: string;
  byteSize: number;
  status: DocumentStatus;
  /** 0..1 while queued or processing; 1 when ready. */
  progress: number;
  chunkCount: number;
  error: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Metadata keys the service keeps for itself (the claim check of a queued ingest). */
export const PENDING_CONTENT_KEY = 'pendingContent';

export function toKnowledgeBaseView(row: KnowledgeBaseRow): KnowledgeBaseView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    embedding: row.embedding ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toDocumentView(row: DocumentRow): DocumentView {
  return {
    id: row.id,
    knowledgeBaseId: row.knowledgeBaseId,
    title: row.title,
    sourceType: row.sourceType,
    sourceUri: row.sourceUri,
    mimeType: row.mimeType,
    contentHash: row.contentHash,
    byteSize: row.byteSize,
    status: row.status,
    progress: Math.min(1, Math.max(0, row.progress)),
    chunkCount: row.chunkCount,
    error: row.error,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The RLS scope of a request. */
export function scopeOf(context: RequestContext): TenantScope {
  return { tenantId: context.tenantId, userId: context.actor.type === 'user' ? context.actor.id : null };
}

/** The knowledge base, or 404 (also for another tenant's id: RLS hides it). */
export async function findKnowledgeBase(tx: Tx, id: string): Promise<KnowledgeBaseRow> {
  const [row] = await tx.select().from(tables.knowledgeBases).where(eq(tables.knowledgeBases.id, id));
  if (!row) throw new AppError('not_found', 'Knowledge base not found');
  return row;
}
