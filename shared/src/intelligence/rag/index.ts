/**
 * RAG: ingest (text, Markdown, HTML, PDF, URLs behind an SSRF guard), structure-aware chunking,
 * indexing (Postgres full-text search + embeddings, pgvector where present), hybrid retrieval with
 * reciprocal-rank fusion, and citations. Runtime-neutral; the Node URL fetcher is exported from
 * `@lumay/shared/node`.
 */
export type { ChunkingOptions, DocumentChunk } from './chunking.ts';
export { chunkDocument, DEFAULT_CHUNKING, estimateTokens } from './chunking.ts';
export type { CitedContext, NumberedCitation } from './cited-context.ts';
export { CITED_CONTEXT_RULES, citationsInAnswer, formatCitedContext } from './cited-context.ts';
export type { DocumentInput } from './document-input.ts';
export { DEFAULT_INLINE_MAX_BYTES } from './document-input.ts';
export type { DocumentService, DocumentServiceOptions, IngestResult } from './documents.ts';
export { createDocumentService } from './documents.ts';
export type {
  KnowledgeBaseEmbedding,
  KnowledgeEmbeddingInput,
  KnowledgeEmbeddingProvider,
} from './embedding-config.ts';
export { DEFAULT_KNOWLEDGE_EMBEDDING, KNOWLEDGE_EMBEDDING_PROVIDERS } from './embedding-config.ts';
export type { IngestConsumerDeps, IngestRunOutcome } from './ingest-consumer.ts';
export {
  createIngestConsumer,
  INGEST_CONSUMER,
  registerIngestConsumer,
  runIngest,
} from './ingest-consumer.ts';
export type {
  KnowledgeBaseDetails,
  KnowledgeBaseInput,
  KnowledgeBasePatch,
  KnowledgeBaseService,
} from './knowledge-bases.ts';
export { createKnowledgeBaseService } from './knowledge-bases.ts';
export type { KnowledgeServices, KnowledgeServicesOptions } from './knowledge-services.ts';
export { createKnowledgeServices, DEFAULT_DOCUMENT_BODY_LIMIT_BYTES } from './knowledge-services.ts';
export { parseDocument } from './parsing/parse-document.ts';
export type { DocumentFormat, ParsedBlock, ParsedDocument } from './parsing/parsed-document.ts';
export { DOCUMENT_FORMATS, DocumentParseError } from './parsing/parsed-document.ts';
export type {
  Citation,
  RetrievalMode,
  RetrievalResult,
  RetrievalService,
  RetrievalServiceOptions,
  RetrievedChunk,
} from './retrieval.ts';
export { createRetrievalService, RETRIEVAL_MODES, reciprocalRankFusion } from './retrieval.ts';
export type { VectorStrategy } from './retrieval-queries.ts';
export { createFetchUrlFetcher } from './sources/edge-url-fetcher.ts';
export type { AddressCategory, AddressClassification, IpAddress } from './sources/ip-address.ts';
export { classifyAddress, parseIpAddress } from './sources/ip-address.ts';
export type { FetchedResource, UrlFetcher, UrlFetcherOptions } from './sources/url-fetcher.ts';
export { DEFAULT_FETCH_MAX_BYTES, UrlFetchError } from './sources/url-fetcher.ts';
export type { CheckedUrl, UrlPolicy, UrlRefusalReason } from './sources/url-policy.ts';
export { checkUrl, UrlRefusedError } from './sources/url-policy.ts';
export type { DocumentStatus, DocumentView, KnowledgeBaseView } from './views.ts';
