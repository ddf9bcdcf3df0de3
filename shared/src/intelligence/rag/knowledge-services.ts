import type { Database } from '../../platform/index.ts';
import { createModelRegistry, type ModelRegistry } from '../llm/index.ts';
import { createDocumentService, type DocumentServiceOptions } from './documents.ts';
import { createKnowledgeBaseService } from './knowledge-bases.ts';
import { createRetrievalService, type RetrievalServiceOptions } from './retrieval.ts';

/**
 * The request-body limit composition roots give the document upload route (a PDF travels as base64
 * in JSON, about 4/3 of its size): 16 MiB, so PDFs up to about 12 MiB. Other routes keep the app's
 * limit.
 */
export const DEFAULT_DOCUMENT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Settings of the knowledge services; every field has a working default. */
export interface KnowledgeServicesOptions extends DocumentServiceOptions, RetrievalServiceOptions {
  /** Where embedding models come from (API keys live here). Default: a registry with offline models only. */
  readonly registry?: ModelRegistry;
  /** Request-body limit of `POST /v1/knowledge-bases/{id}/documents`. Default: the app's limit. */
  readonly documentBodyLimitBytes?: number;
}

/** Knowledge bases, documents and retrieval over one database and one model registry. */
export function createKnowledgeServices(db: Database, options: KnowledgeServicesOptions = {}) {
  const registry = options.registry ?? createModelRegistry();
  return {
    registry,
    bases: createKnowledgeBaseService(db, registry),
    documents: createDocumentService(db, registry, options),
    retrieval: createRetrievalService(db, registry, options),
  };
}

export type KnowledgeServices = ReturnType<typeof createKnowledgeServices>;
