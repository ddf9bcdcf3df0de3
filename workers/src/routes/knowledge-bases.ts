import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { KNOWLEDGE_EMBEDDING_PROVIDERS, RETRIEVAL_MODES } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  idParam,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  page,
  security,
  standardErrors,
} from '../schemas.ts';

const EmbeddingSchema = z
  .object({ provider: z.string(), model: z.string(), dimensions: z.number().int() })
  .openapi('KnowledgeBaseEmbedding');

export const KnowledgeBaseSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    embedding: EmbeddingSchema.nullable().openapi({ description: 'Null: lexical retrieval only' }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('KnowledgeBase');

const KnowledgeBaseDetailsSchema = KnowledgeBaseSchema.extend({
  documentCount: z.number().int(),
  chunkCount: z.number().int().openapi({ description: 'Chunks of ready documents' }),
}).openapi('KnowledgeBaseDetails');

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable(),
};

const CreateBody = z
  .strictObject({
    name: fields.name,
    description: fields.description.optional(),
    embedding: z
      .strictObject({
        provider: z.enum(KNOWLEDGE_EMBEDDING_PROVIDERS),
        model: z.string().trim().min(1).max(200).optional(),
        dimensions: z.number().int().min(8).max(4096).optional(),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'Embedding model of every chunk, fixed at creation. Omitted: offline feature hashing (384 dimensions); ' +
          'null: lexical retrieval only; openai needs an API key configured on the deployment.',
      }),
  })
  .openapi('CreateKnowledgeBaseRequest');

const UpdateBody = z
  .strictObject({ name: fields.name.optional(), description: fields.description.optional() })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change is required')
  .openapi('UpdateKnowledgeBaseRequest');

const QueryBody = z
  .strictObject({
    query: z.string().trim().min(1).max(2000),
    topK: z
      .number()
      .int()
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: 'Results to return (default 5)' }),
    mode: z
      .enum(RETRIEVAL_MODES)
      .optional()
      .openapi({ description: 'Default hybrid (reciprocal-rank fusion)' }),
  })
  .openapi('KnowledgeQueryRequest');

const CitationSchema = z
  .object({
    documentId: z.string(),
    title: z.string(),
    ordinal: z.number().int(),
    heading: z.string().nullable(),
    sourceUri: z.string().nullable(),
    snippet: z.string(),
  })
  .openapi('Citation');

const RankSchema = z.object({ rank: z.number().int(), score: z.number() }).nullable();

const QueryResultSchema = z
  .object({
    query: z.string(),
    mode: z.enum(RETRIEVAL_MODES),
    vectorStrategy: z
      .enum(['pgvector', 'exact-scan', 'lexical-candidates'])
      .nullable()
      .openapi({
        description:
          'pgvector: the extension; exact-scan: cosine over embedding_array in SQL; lexical-candidates: cosine over ' +
          'the best full-text candidates (large knowledge bases without pgvector); null: no vector retrieval',
      }),
    results: z.array(
      z.object({
        chunkId: z.string(),
        content: z.string(),
        tokenCount: z.number().int(),
        score: z.number(),
        lexical: RankSchema,
        vector: RankSchema,
        citation: CitationSchema,
      }),
    ),
  })
  .openapi('KnowledgeQueryResult');

const kbParam = idParam('kbs');

const list = createRoute({
  method: 'get',
  path: '/v1/knowledge-bases',
  tags: ['knowledge'],
  summary: 'List knowledge bases, newest first',
  security,
  request: { query: PaginationQuery },
  responses: { 200: jsonResponse('Knowledge bases', page(KnowledgeBaseSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/knowledge-bases',
  tags: ['knowledge'],
  summary: 'Create a knowledge base',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The knowledge base', KnowledgeBaseSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/knowledge-bases/{id}',
  tags: ['knowledge'],
  summary: 'Get a knowledge base with its document and chunk counts',
  security,
  request: { params: kbParam },
  responses: { 200: jsonResponse('The knowledge base', KnowledgeBaseDetailsSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/knowledge-bases/{id}',
  tags: ['knowledge'],
  summary: 'Rename or describe a knowledge base (its embedding model is fixed)',
  security,
  request: { params: kbParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The knowledge base', KnowledgeBaseSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/knowledge-bases/{id}',
  tags: ['knowledge'],
  summary: 'Delete a knowledge base with its documents and chunks',
  security,
  request: { params: kbParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

const query = createRoute({
  method: 'post',
  path: '/v1/knowledge-bases/{id}/query',
  tags: ['knowledge'],
  summary: 'Retrieve cited passages (lexical, vector or hybrid)',
  security,
  request: { params: kbParam, ...jsonBody(QueryBody) },
  responses: { 200: jsonResponse('Ranked chunks with citations', QueryResultSchema), ...standardErrors },
});

export function registerKnowledgeBaseRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').knowledge.bases.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const base = await c.get('services').knowledge.bases.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/knowledge-bases/${base.id}`);
    return c.json(base, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').knowledge.bases.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .knowledge.bases.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').knowledge.bases.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(query, async (c) =>
    c.json(
      await c
        .get('services')
        .knowledge.retrieval.query(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
}
