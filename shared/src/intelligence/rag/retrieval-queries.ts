import { type SQL, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../platform/index.ts';
import { vectorText } from './chunk-store.ts';

/** One ranked candidate of one retriever. */
export interface Candidate {
  readonly id: string;
  readonly score: number;
}

/** How vector similarity was computed for a query. */
export type VectorStrategy = 'pgvector' | 'exact-scan' | 'lexical-candidates';

/** Which rows a retriever may see: the knowledge base's chunks (readiness is checked on the few winners). */
export interface RetrievalScope {
  readonly tenantId: string;
  readonly knowledgeBaseId: string;
}

// The tenant filter repeats what RLS enforces (defence in depth, and it lets the planner use the index).
const inScope = (scope: RetrievalScope): SQL =>
  sql`c.tenant_id = ${scope.tenantId} and c.knowledge_base_id = ${scope.knowledgeBaseId}`;

/**
 * Terms of the query: `all_terms` honours web-search syntax (quotes, `or`, `-`) and requires every
 * term; `any_terms` accepts any of them, so a natural-language question still finds passages that
 * miss some of its words.
 */
const termsOf = (query: string): SQL =>
  sql`(select websearch_to_tsquery('english', ${query}) as all_terms,
    nullif(replace(plainto_tsquery('english', ${query})::text, '&', '|'), '')::tsquery as any_terms) q`;

/**
 * Full-text candidates over the generated `search` tsvector (GIN index): cover-density rank of
 * any query term, normalised to [0, 1), plus 1 when the chunk matches all terms, so complete
 * matches always rank first.
 */
export async function lexicalCandidates(
  tx: Tx,
  scope: RetrievalScope,
  query: string,
  limit: number,
): Promise<Candidate[]> {
  const rows = rowsOf<{ id: string; score: number | string }>(
    await tx.execute(sql`
      select c.id, ts_rank_cd(c.search, q.any_terms, 32) + case when c.search @@ q.all_terms then 1 else 0 end as score
      from document_chunks c, ${termsOf(query)}
      where ${inScope(scope)} and c.search @@ q.any_terms
      order by score desc, c.id
      limit ${limit}`),
  );
  return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
}

/** Whether the scope holds more than `limit` embedded chunks (counts no further than that). */
export async function embeddedChunksExceed(tx: Tx, scope: RetrievalScope, limit: number): Promise<boolean> {
  const [row] = rowsOf<{ count: number | string }>(
    await tx.execute(sql`select count(*) as count from (select 1 from document_chunks c
      where ${inScope(scope)} and c.embedding_array is not null limit ${limit + 1}) s`),
  );
  return Number(row?.count ?? 0) > limit;
}

/** Where vector similarity is computed: pgvector, an exact scan, or a given candidate set. */
export type VectorSource =
  | { kind: 'pgvector' }
  | { kind: 'exact-scan' }
  | { kind: 'candidates'; ids: readonly string[] };

/**
 * Vector candidates by cosine similarity (vectors are stored and queried at unit length); only
 * positive similarities count.
 * - `pgvector`: `<=>` on the `embedding` column, computed in C by the extension.
 * - `exact-scan` (no pgvector): the dot product over `embedding_array` for every chunk of the
 *   knowledge base, in SQL; exact, linear in the knowledge base's size.
 * - `candidates` (no pgvector, large knowledge base): the same dot product over the given chunk
 *   ids only (the best full-text matches), so latency stays bounded; recall is that of the set.
 */
export async function vectorCandidates(
  tx: Tx,
  scope: RetrievalScope,
  vector: readonly number[],
  limit: number,
  source: VectorSource,
): Promise<Candidate[]> {
  const literal = vectorText(vector);
  let statement: SQL;
  if (source.kind === 'pgvector') {
    statement = sql`
      select c.id, 1 - (c.embedding <=> ${literal}::real[]::vector) as score
      from document_chunks c
      where ${inScope(scope)} and c.embedding is not null and vector_dims(c.embedding) = ${vector.length}
        and c.embedding <=> ${literal}::real[]::vector < 1
      order by c.embedding <=> ${literal}::real[]::vector, c.id
      limit ${limit}`;
  } else {
    if (source.kind === 'candidates' && source.ids.length === 0) return [];
    const restrict =
      source.kind === 'candidates' ? sql`and c.id = any(${sql.param([...source.ids])}::text[])` : sql``;
    statement = sql`
      select c.id, s.score
      from document_chunks c
      cross join lateral (select sum(a * b) as score from unnest(c.embedding_array, ${literal}::real[]) as t(a, b)) s
      where ${inScope(scope)} ${restrict} and c.embedding_array is not null
        and cardinality(c.embedding_array) = ${vector.length} and s.score > 0
      order by s.score desc, c.id
      limit ${limit}`;
  }
  const rows = rowsOf<{ id: string; score: number | string }>(await tx.execute(statement));
  return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
}

/** A chunk with what a citation needs. */
export interface ChunkRecord {
  id: string;
  document_id: string;
  ordinal: number;
  heading: string | null;
  content: string;
  token_count: number;
  title: string;
  source_uri: string | null;
}

export async function loadChunks(
  tx: Tx,
  scope: RetrievalScope,
  ids: readonly string[],
): Promise<Map<string, ChunkRecord>> {
  if (ids.length === 0) return new Map();
  const rows = rowsOf<ChunkRecord>(
    await tx.execute(sql`
      select c.id, c.document_id, c.ordinal, c.heading, c.content, c.token_count, d.title, d.source_uri
      from document_chunks c join documents d on d.id = c.document_id
      where c.tenant_id = ${scope.tenantId} and c.knowledge_base_id = ${scope.knowledgeBaseId}
        and d.status = 'ready' and c.id in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`),
  );
  return new Map(
    rows.map((row) => [
      row.id,
      { ...row, ordinal: Number(row.ordinal), token_count: Number(row.token_count) },
    ]),
  );
}
