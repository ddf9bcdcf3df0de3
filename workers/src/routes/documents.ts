import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  ErrorSchema,
  idParam,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  page,
  security,
  standardErrors,
} from '../schemas.ts';

const STATUSES = ['queued', 'processing', 'ready', 'failed'] as const;

/** The one route whose body may exceed the app's limit (PDFs as base64); see `app.ts`. */
export function isDocumentUpload(method: string, path: string): boolean {
  return method === 'POST' && /^\/v1\/knowledge-bases\/[^/]+\/documents\/?$/.test(path);
}

export const DocumentSchema = z
  .object({
    id: z.string(),
    knowledgeBaseId: z.string(),
    title: z.string(),
    sourceType: z.enum(['text', 'markdown', 'html', 'pdf', 'url']),
    sourceUri: z.string().nullable(),
    mimeType: z.string().nullable(),
    contentHash: z
      .string()
      .openapi({ description: 'SHA-256 of the normalised content (of the URL for url documents)' }),
    byteSize: z.number().int(),
    status: z.enum(STATUSES),
    progress: z.number().min(0).max(1),
    chunkCount: z.number().int(),
    error: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Document');

const title = z.string().trim().min(1).max(500).optional();

const IngestBody = z
  .preprocess(
    // `{ url }` alone is a URL document.
    (value) =>
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      'url' in value &&
      !('type' in value)
        ? { ...value, type: 'url' }
        : value,
    z.discriminatedUnion('type', [
      z.strictObject({ type: z.enum(['text', 'markdown', 'html']), content: z.string().min(1), title }),
      z.strictObject({
        type: z.literal('pdf'),
        contentBase64: z.string().min(1).openapi({ description: 'The PDF file, base64-encoded' }),
        title,
      }),
      z.strictObject({
        type: z.literal('url').openapi({ description: 'May be omitted when `url` is given' }),
        url: z.url({ protocol: /^https?$/ }).max(2048),
        title,
      }),
    ]),
  )
  .openapi('IngestDocumentRequest', {
    description:
      'Text, Markdown and HTML up to 64 KiB are indexed in the request (201); larger content, PDFs and URLs ' +
      'are queued (202) and processed in the background; identical content returns the existing document (200).',
  });

const kbParam = idParam('kbs');
const documentParams = kbParam.extend(idParam('doc', 'documentId').shape);

const list = createRoute({
  method: 'get',
  path: '/v1/knowledge-bases/{id}/documents',
  tags: ['knowledge'],
  summary: 'List the documents of a knowledge base, newest first',
  security,
  request: { params: kbParam, query: PaginationQuery.extend({ status: z.enum(STATUSES).optional() }) },
  responses: { 200: jsonResponse('Documents', page(DocumentSchema)), ...standardErrors },
});

const ingest = createRoute({
  method: 'post',
  path: '/v1/knowledge-bases/{id}/documents',
  tags: ['knowledge'],
  summary: 'Add a document (text, Markdown, HTML, PDF or URL)',
  description:
    'The request-body limit of this route is raised for PDFs (16 MiB in the Node and embedded targets). ' +
    'URLs are fetched by the ingest consumer behind an SSRF guard: http(s) only, public addresses only, ' +
    'redirects re-checked, size and time limits.',
  security,
  request: { params: kbParam, ...jsonBody(IngestBody) },
  responses: {
    200: jsonResponse('The existing document with the same content', DocumentSchema),
    201: jsonResponse('Indexed', DocumentSchema),
    202: jsonResponse('Queued for background ingestion; poll the document for progress', DocumentSchema),
    415: jsonResponse('contentBase64 is not a PDF', ErrorSchema),
    ...standardErrors,
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/knowledge-bases/{id}/documents/{documentId}',
  tags: ['knowledge'],
  summary: 'Get a document with its ingest status, progress and error',
  security,
  request: { params: documentParams },
  responses: { 200: jsonResponse('The document', DocumentSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/knowledge-bases/{id}/documents/{documentId}',
  tags: ['knowledge'],
  summary: 'Delete a document and its chunks',
  security,
  request: { params: documentParams },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

export function registerDocumentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(
      await c
        .get('services')
        .knowledge.documents.list(requestContextOf(c), c.req.valid('param').id, c.req.valid('query')),
      200,
    ),
  );
  app.openapi(ingest, async (c) => {
    const knowledgeBaseId = c.req.valid('param').id;
    const { document, outcome } = await c
      .get('services')
      .knowledge.documents.ingest(requestContextOf(c), knowledgeBaseId, c.req.valid('json'));
    c.header('Location', `/v1/knowledge-bases/${knowledgeBaseId}/documents/${document.id}`);
    if (outcome === 'created') return c.json(document, 201);
    if (outcome === 'queued') return c.json(document, 202);
    return c.json(document, 200);
  });
  app.openapi(get, async (c) => {
    const { id, documentId } = c.req.valid('param');
    return c.json(await c.get('services').knowledge.documents.get(requestContextOf(c), id, documentId), 200);
  });
  app.openapi(remove, async (c) => {
    const { id, documentId } = c.req.valid('param');
    await c.get('services').knowledge.documents.remove(requestContextOf(c), id, documentId);
    return c.body(null, 204);
  });
}
