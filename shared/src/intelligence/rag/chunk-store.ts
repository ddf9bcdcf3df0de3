import { type SQL, sql } from 'drizzle-orm';
import { newId } from '../../core/index.ts';
import { type Database, rowsOf, type Tx } from '../../platform/index.ts';
import type { DocumentChunk } from './chunking.ts';

const vectorSupport = new WeakMap<Database, Promise<boolean>>();

/**
 * Whether `document_chunks.embedding` (pgvector) exists on this database. Migration 0003 adds it
 * only where the extension is available (PGlite, managed Postgres); answered once per database.
 */
export function hasVectorColumn(db: Database, tx: Tx): Promise<boolean> {
  const known = vectorSupport.get(db);
  if (known) return known;
  const probe = tx
    .execute(
      sql`select exists (select 1 from pg_attribute where attrelid = to_regclass('document_chunks') and attname = 'embedding' and not attisdropped) as present`,
    )
    .then((result) => rowsOf<{ present: boolean }>(result)[0]?.present === true);
  vectorSupport.set(db, probe);
  probe.catch(() => vectorSupport.delete(db));
  return probe;
}

/** Postgres array text of a vector (`{0.1,0.2}`); numbers only, so safe to pass as one parameter. */
export function vectorText(vector: readonly number[]): string {
  return `{${vector.map((value) => (Number.isFinite(value) ? value.toPrecision(8) : '0')).join(',')}}`;
}

/** Where a batch of chunks belongs. */
export interface ChunkOwner {
  readonly tenantId: string;
  readonly knowledgeBaseId: string;
  readonly documentId: string;
}

/** Rows per INSERT: nine parameters each stays far below the 65,535-parameter protocol limit. */
export const CHUNK_INSERT_BATCH = 500;

/**
 * Inserts chunks with their embeddings in multi-row INSERTs. The unit vector goes into the portable
 * `embedding_array` and, where pgvector exists, into `embedding` too (cast from the same parameter).
 */
export async function insertChunks(
  tx: Tx,
  owner: ChunkOwner,
  chunks: readonly DocumentChunk[],
  embeddings: readonly (readonly number[] | null)[],
  withVector: boolean,
): Promise<void> {
  for (let start = 0; start < chunks.length; start += CHUNK_INSERT_BATCH) {
    const rows: SQL[] = [];
    for (let index = start; index < Math.min(chunks.length, start + CHUNK_INSERT_BATCH); index += 1) {
      const chunk = chunks[index];
      if (!chunk) continue;
      const embedding = embeddings[index];
      const array = embedding ? sql`${vectorText(embedding)}::real[]` : sql`null::real[]`;
      rows.push(
        sql`(${newId('chunk')}, ${owner.tenantId}, ${owner.knowledgeBaseId}, ${owner.documentId}, ${chunk.ordinal}, ${chunk.heading}, ${chunk.content}, ${chunk.tokenCount}, ${array}${
          withVector ? (embedding ? sql`, ${vectorText(embedding)}::real[]::vector` : sql`, null`) : sql``
        })`,
      );
    }
    if (rows.length === 0) continue;
    await tx.execute(
      sql`insert into document_chunks (id, tenant_id, knowledge_base_id, document_id, ordinal, heading, content, token_count, embedding_array${
        withVector ? sql`, embedding` : sql``
      }) values ${sql.join(rows, sql`, `)}`,
    );
  }
}
