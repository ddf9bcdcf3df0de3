/**
 * bench/rag: ingest throughput and query latency at 10k and 100k chunks on real Postgres (and 10k
 * on PGlite with pgvector), then retrieval quality (recall@5, MRR@10) of lexical, vector and hybrid
 * retrieval on the labelled corpus in bench/rag/corpus (CC0, see its LICENSE.md).
 *
 *   npm run bench:rag
 *   RAG_BENCH_SIZES=10000 RAG_BENCH_QUERIES=50 npm run bench:rag   (a quicker run)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetrievalMode } from '@lumay/shared';
import {
  type BenchDatabaseKind,
  type BenchEnvironment,
  openEnvironment,
  pool,
  quantile,
  table,
} from './harness.ts';
import { createSyntheticCorpus } from './synthetic.ts';

const SIZES = (process.env.RAG_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.RAG_BENCH_QUERIES ?? 100);
const PGLITE_SIZE = Number(process.env.RAG_BENCH_PGLITE_SIZE ?? 10_000);
const DOCUMENT_BYTES = 32 * 1024;
const LEAKPROOF_VARIANT = process.env.RAG_BENCH_LEAKPROOF !== '0';
const MODES: RetrievalMode[] = ['lexical', 'vector', 'hybrid'];
const CORPUS_DIR = join(import.meta.dirname, 'corpus');

type Latency = Record<RetrievalMode, { p50: number; p99: number; strategy: string }>;

interface ScaleFigures {
  database: string;
  chunks: number;
  documents: number;
  seconds: number;
  latency: Latency;
  /** Postgres only: the same queries with `@@` marked LEAKPROOF, so the GIN index is usable under RLS. */
  leakproof: Latency | undefined;
}

async function scale(kind: BenchDatabaseKind, size: number): Promise<ScaleFigures> {
  const environment = await openEnvironment(kind, `lumay_bench_rag_${size}`);
  try {
    const { knowledge, context } = environment;
    const base = await knowledge.bases.create(context, { name: `scale ${size}` });
    const corpus = createSyntheticCorpus();
    // Chunks per document are about the same for every document: measure the first one, then top up.
    let chunks = 0;
    let documents = 0;
    const started = performance.now();
    while (chunks < size) {
      const perDocument = documents > 0 ? chunks / documents : size;
      const batch = Array.from(
        { length: Math.max(1, Math.ceil((size - chunks) / perDocument)) },
        (_, index) => documents + index,
      );
      documents += batch.length;
      await pool(batch, 4, async (index) => {
        const result = await knowledge.documents.ingest(context, base.id, {
          type: 'markdown',
          content: corpus.document(index, DOCUMENT_BYTES),
        });
        chunks += result.document.chunkCount;
      });
    }
    const seconds = (performance.now() - started) / 1000;
    await environment.owner('analyze document_chunks');
    await environment.owner('analyze documents');
    const measure = async (): Promise<Latency> => {
      const latency = {} as Latency;
      for (const mode of MODES) {
        // The same query sequence for every mode and variant.
        const queries = createSyntheticCorpus();
        const samples: number[] = [];
        let strategy = 'fts';
        for (let index = 0; index < QUERIES + 5; index += 1) {
          const begin = performance.now();
          const result = await knowledge.retrieval.query(context, base.id, {
            query: queries.query(3),
            topK: 5,
            mode,
          });
          if (index >= 5) samples.push(performance.now() - begin);
          if (mode !== 'lexical') strategy = result.vectorStrategy ?? 'none';
        }
        latency[mode] = { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), strategy };
      }
      return latency;
    };
    const latency = await measure();
    // Under RLS, operators that are not LEAKPROOF run after the tenant policy, so `@@` cannot use the
    // GIN index (bench/README.md). Measured again with it marked LEAKPROOF, as a migration could do.
    let leakproof: Latency | undefined;
    if (kind === 'postgres' && LEAKPROOF_VARIANT) {
      await environment.owner('alter function pg_catalog.ts_match_vq(tsvector, tsquery) leakproof');
      leakproof = await measure();
    }
    return {
      database: kind === 'pglite' ? 'PGlite (pgvector)' : 'Postgres 15 (no pgvector)',
      chunks,
      documents,
      seconds,
      latency,
      leakproof,
    };
  } finally {
    await environment.close();
  }
}

interface Question {
  question: string;
  relevant: { document: string; heading: string }[];
}

async function quality(kind: BenchDatabaseKind) {
  const environment: BenchEnvironment = await openEnvironment(kind, 'lumay_bench_rag_quality');
  try {
    const { knowledge, context } = environment;
    const base = await knowledge.bases.create(context, { name: 'quality' });
    const files = (await readdir(CORPUS_DIR)).filter((file) => file.endsWith('.md') && file !== 'LICENSE.md');
    const fileOf = new Map<string, string>();
    let chunks = 0;
    for (const file of files) {
      const content = await readFile(join(CORPUS_DIR, file), 'utf8');
      const { document } = await knowledge.documents.ingest(context, base.id, { type: 'markdown', content });
      fileOf.set(document.id, file);
      chunks += document.chunkCount;
    }
    const questions = JSON.parse(
      await readFile(join(import.meta.dirname, 'questions.json'), 'utf8'),
    ) as Question[];
    const figures: Record<RetrievalMode, { recall5: number; mrr: number; strategy: string }> = {} as never;
    for (const mode of MODES) {
      let hits = 0;
      let reciprocal = 0;
      let strategy = 'fts';
      for (const item of questions) {
        const result = await knowledge.retrieval.query(context, base.id, {
          query: item.question,
          topK: 10,
          mode,
        });
        if (mode !== 'lexical') strategy = result.vectorStrategy ?? 'none';
        const rank = result.results.findIndex((hit) =>
          item.relevant.some(
            (relevant) =>
              fileOf.get(hit.citation.documentId) === relevant.document &&
              hit.citation.heading === relevant.heading,
          ),
        );
        if (rank >= 0 && rank < 5) hits += 1;
        if (rank >= 0) reciprocal += 1 / (rank + 1);
      }
      figures[mode] = { recall5: hits / questions.length, mrr: reciprocal / questions.length, strategy };
    }
    return { database: kind, documents: files.length, chunks, questions: questions.length, figures };
  } finally {
    await environment.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const runs: [BenchDatabaseKind, number][] = [
    ...SIZES.map((size) => ['postgres', size] as [BenchDatabaseKind, number]),
    ...(PGLITE_SIZE > 0 ? [['pglite', PGLITE_SIZE] as [BenchDatabaseKind, number]] : []),
  ];
  const scaleRows: (string | number)[][] = [];
  for (const [kind, size] of runs) {
    console.error(`ingesting ${size} chunks into ${kind}…`);
    const figures = await scale(kind, size);
    const variants: [string, Latency][] = [[figures.database, figures.latency]];
    if (figures.leakproof) variants.push([`${figures.database}, leakproof @@`, figures.leakproof]);
    for (const [label, latency] of variants) {
      for (const mode of MODES) {
        const { p50, p99, strategy } = latency[mode];
        scaleRows.push([
          label,
          figures.chunks,
          mode === 'lexical' && label === figures.database
            ? Math.round(figures.chunks / figures.seconds)
            : '',
          `${mode}${mode === 'lexical' ? '' : ` (${strategy})`}`,
          p50.toFixed(1),
          p99.toFixed(1),
        ]);
      }
    }
  }
  console.log(
    '\nIngest throughput and query latency (topK 5, offline 384-d embeddings, sequential queries)\n',
  );
  console.log(table(['database', 'chunks', 'ingest chunks/s', 'mode', 'p50 ms', 'p99 ms'], scaleRows));

  const qualityRows: (string | number)[][] = [];
  let header = '';
  for (const kind of ['pglite', 'postgres'] as const) {
    const result = await quality(kind);
    header = `${result.documents} documents, ${result.chunks} chunks, ${result.questions} labelled questions`;
    for (const mode of MODES) {
      const { recall5, mrr, strategy } = result.figures[mode];
      qualityRows.push([
        kind,
        mode === 'lexical' ? mode : `${mode} (${strategy})`,
        recall5.toFixed(3),
        mrr.toFixed(3),
      ]);
    }
  }
  console.log(`\nRetrieval quality on bench/rag/corpus (${header})\n`);
  console.log(table(['database', 'mode', 'recall@5', 'MRR@10'], qualityRows));
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
