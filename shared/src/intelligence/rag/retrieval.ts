import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import type { ModelRegistry } from '../llm/index.ts';
import { hasVectorColumn } from './chunk-store.ts';
import { normalizeVector, resolveEmbeddingModel } from './embedding-config.ts';
import {
  type Candidate,
  embeddedChunksExceed,
  lexicalCandidates,
  loadChunks,
  type VectorStrategy,
  vectorCandidates,
} from './retrieval-queries.ts';
import { findKnowledgeBase, scopeOf } from './views.ts';

export const RETRIEVAL_MODES = ['hybrid', 'lexical', 'vector'] as const;
export type RetrievalMode = (typeof RETRIEVAL_MODES)[number];

/** Where a retrieved passage comes from: enough to cite it and to link back to it. */
export interface Citation {
  documentId: string;
  title: string;
  ordinal: number;
  heading: string | null;
  sourceUri: string | null;
  snippet: string;
}

/** One retrieved chunk with its fused score and its rank in each retriever (null: not retrieved there). */
export interface RetrievedChunk {
  chunkId: string;
  content: string;
  tokenCount: number;
  score: number;
  lexical: { rank: number; score: number } | null;
  vector: { rank: number; score: number } | null;
  citation: Citation;
}

export interface RetrievalResult {
  query: string;
  mode: RetrievalMode;
  /** How vector similarity was computed; null when no vector retrieval ran. */
  vectorStrategy: VectorStrategy | null;
  results: RetrievedChunk[];
}

export interface RetrievalServiceOptions {
  /** Without pgvector, knowledge bases up to this many embedded chunks are scanned exactly. Default 1,000. */
  readonly exactScanLimit?: number;
  /** Without pgvector, beyond that: cosine over this many best full-text candidates. Default 500. */
  readonly candidateLimit?: number;
  /** The reciprocal-rank-fusion constant. Default 60 (Cormack et al., 2009). */
  readonly rrfK?: number;
}

/**
 * Reciprocal-rank fusion: each list adds `1 / (k + rank)` (ranks from 1) to an item's score; the
 * fused order favours items that rank well in several lists without comparing raw scores.
 */
export function reciprocalRankFusion(
  lists: readonly (readonly { id: string }[])[],
  k = 60,
): Map<string, number> {
  const fused = new Map<string, number>();
  for (const list of lists) {
    for (const [index, item] of list.entries()) {
      fused.set(item.id, (fused.get(item.id) ?? 0) + 1 / (k + index + 1));
    }
  }
  return fused;
}

const SNIPPET_CHARS = 240;

/** The passage window around the first query term found (or the start), cut at word boundaries. */
export function snippetOf(content: string, query: string): string {
  const text = content.replace(/\s+/g, ' ').trim();
  if (text.length <= SNIPPET_CHARS) return text;
  const lower = text.toLowerCase();
  const terms = (query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).map((term) =>
    term.length > 5 ? term.slice(0, term.length - 2) : term,
  );
  const hits = terms.map((term) => lower.indexOf(term)).filter((index) => index >= 0);
  const center = hits.length > 0 ? Math.min(...hits) : 0;
  let start = Math.max(0, center - SNIPPET_CHARS / 3);
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  start = Math.max(0, end - SNIPPET_CHARS);
  if (start > 0) start = text.indexOf(' ', start) + 1 || start;
  if (end < text.length) end = text.lastIndexOf(' ', end) > start ? text.lastIndexOf(' ', end) : end;
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}

/**
 * Retrieval over one knowledge base: lexical (Postgres full-text search), vector (pgvector where
 * the column exists, else cosine over `embedding_array` in SQL, see `vectorCandidates`) and hybrid
 * (both, fused by reciprocal rank). Every query runs in the caller's tenant transaction and filters
 * by tenant and knowledge base in SQL, so another tenant's chunks are never candidates (RLS is the
 * second wall); an unknown or foreign knowledge base is a 404.
 */
export function createRetrievalService(
  db: Database,
  registry: ModelRegistry,
  options: RetrievalServiceOptions = {},
) {
  const exactScanLimit = options.exactScanLimit ?? 1_000;
  const candidateLimit = options.candidateLimit ?? 500;
  const rrfK = options.rrfK ?? 60;

  return {
    async query(
      context: RequestContext,
      knowledgeBaseId: string,
      input: { query: string; topK?: number | undefined; mode?: RetrievalMode | undefined },
    ): Promise<RetrievalResult> {
      const mode = input.mode ?? 'hybrid';
      const topK = Math.min(Math.max(input.topK ?? 5, 1), 50);
      const depth = Math.max(topK * 4, 40);
      const base = await db.withTenant(scopeOf(context), (tx) => findKnowledgeBase(tx, knowledgeBaseId));
      if (mode === 'vector' && !base.embedding) {
        throw new AppError('bad_request', 'This knowledge base has no embedding model: use lexical mode');
      }
      // The query is embedded before the transaction opens (it may be a network call).
      const wantVector = mode !== 'lexical' && base.embedding !== null && base.embedding !== undefined;
      const model = wantVector && base.embedding ? resolveEmbeddingModel(registry, base.embedding) : null;
      const queryVector = model
        ? normalizeVector((await model.embed([input.query])).embeddings[0] ?? [])
        : null;

      return db.withTenant(scopeOf(context), async (tx) => {
        const scope = { tenantId: context.tenantId, knowledgeBaseId };
        let vectorStrategy: VectorStrategy | null = null;
        if (wantVector) {
          vectorStrategy = (await hasVectorColumn(db, tx))
            ? 'pgvector'
            : (await embeddedChunksExceed(tx, scope, exactScanLimit))
              ? 'lexical-candidates'
              : 'exact-scan';
        }
        let lexical: Candidate[] = [];
        let vector: Candidate[] = [];
        if (vectorStrategy === 'lexical-candidates') {
          // One full-text pass serves both lists: its head is the lexical list, all of it the vector candidates.
          const candidates = await lexicalCandidates(tx, scope, input.query, Math.max(depth, candidateLimit));
          if (mode !== 'vector') lexical = candidates.slice(0, depth);
          if (queryVector) {
            const ids = candidates.map((candidate) => candidate.id);
            vector = await vectorCandidates(tx, scope, queryVector, depth, { kind: 'candidates', ids });
          }
        } else {
          if (mode !== 'vector') lexical = await lexicalCandidates(tx, scope, input.query, depth);
          if (queryVector && vectorStrategy) {
            vector = await vectorCandidates(tx, scope, queryVector, depth, { kind: vectorStrategy });
          }
        }
        const ranked: { id: string; score: number }[] =
          mode === 'hybrid'
            ? [...reciprocalRankFusion([lexical, vector], rrfK)]
                .map(([id, score]) => ({ id, score }))
                .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : 1))
            : mode === 'lexical'
              ? lexical
              : vector;
        // Chunks of documents that are not ready (still being indexed) are dropped here, so the
        // candidate lists are read a little deeper than topK.
        const records = await loadChunks(
          tx,
          scope,
          ranked.slice(0, topK * 2 + 10).map((item) => item.id),
        );
        const top = ranked.filter((item) => records.has(item.id)).slice(0, topK);
        const rankIn = (list: Candidate[], id: string) => {
          const index = list.findIndex((item) => item.id === id);
          const hit = list[index];
          return hit ? { rank: index + 1, score: hit.score } : null;
        };
        const results: RetrievedChunk[] = [];
        for (const item of top) {
          const record = records.get(item.id);
          if (!record) continue;
          results.push({
            chunkId: record.id,
            content: record.content,
            tokenCount: record.token_count,
            score: item.score,
            lexical: rankIn(lexical, item.id),
            vector: rankIn(vector, item.id),
            citation: {
              documentId: record.document_id,
              title: record.title,
              ordinal: record.ordinal,
              heading: record.heading,
              sourceUri: record.source_uri,
              snippet: snippetOf(record.content, input.query),
            },
          });
        }
        return { query: input.query, mode, vectorStrategy, results };
      });
    },
  };
}

export type RetrievalService = ReturnType<typeof createRetrievalService>;
