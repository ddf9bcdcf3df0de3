import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { createModelCallRecorder, MODEL_PROVIDERS, testModelProvider } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonBody, jsonResponse, PaginationQuery, page, security, standardErrors } from '../schemas.ts';

/**
 * Any well-formed prefixed id: an id of another kind cannot name a provider, so it is a 404 like
 * any other missing provider (and the shared security suites can probe with one id shape).
 */
const providerParam = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a model provider id (mpr_…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'mpr_01JD4X3Y5Z6A7B8C9D0E1F2G3H' }),
});

const Settings = z
  .strictObject({
    providerName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'letters, digits, ".", "_" and "-" (e.g. "ollama")')
      .optional()
      .openapi({
        description:
          'openai-compatible: the name replies and cost records report (default openai-compatible)',
      }),
    supportsStructuredOutputs: z
      .boolean()
      .optional()
      .openapi({ description: 'openai-compatible: the server honours response_format json_schema' }),
    timeoutMs: z.number().int().min(1000).max(300_000).optional(),
  })
  .openapi('ModelProviderSettings');

const ProviderSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    provider: z.enum(MODEL_PROVIDERS),
    baseUrl: z.string().nullable(),
    defaultModel: z.string().nullable(),
    settings: Settings,
    hasApiKey: z.boolean(),
    apiKeyLastFour: z
      .string()
      .nullable()
      .openapi({ description: 'Last four characters of a key of 16+ characters' }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ModelProvider');

const name = z.string().trim().min(1).max(200);
const baseUrl = z
  .url({
    protocol: /^https?$/,
    error: 'must be an http(s) URL including the API version path, e.g. https://host/v1',
  })
  .max(2000);
const model = z.string().trim().min(1).max(200);
/** Printable ASCII without spaces: what vendors issue, and nothing that could split a header. */
const apiKey = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .openapi({ description: 'Stored encrypted; never returned (only hasApiKey and apiKeyLastFour)' });

const CreateBody = z
  .strictObject({
    name,
    provider: z.enum(MODEL_PROVIDERS),
    baseUrl: baseUrl.optional(),
    defaultModel: model.optional(),
    apiKey: apiKey.optional(),
    settings: Settings.optional(),
  })
  .openapi('CreateModelProviderRequest');

const UpdateBody = z
  .strictObject({
    name: name.optional(),
    baseUrl: baseUrl.nullable().optional(),
    defaultModel: model.nullable().optional(),
    apiKey: apiKey
      .nullable()
      .optional()
      .openapi({ description: 'A new key (rotates it), or null to remove it' }),
    settings: Settings.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change is required')
  .openapi('UpdateModelProviderRequest');

const TestBody = z
  .strictObject({
    model: model.optional().openapi({ description: "Defaults to the provider's defaultModel" }),
  })
  .openapi('TestModelProviderRequest');

const TestResult = z
  .object({
    ok: z.boolean(),
    providerId: z.string(),
    provider: z.string(),
    model: z.string(),
    latencyMs: z.number().int(),
    reply: z.string().optional(),
    error: z
      .object({ kind: z.string(), message: z.string(), upstreamStatus: z.number().int().optional() })
      .optional(),
  })
  .openapi('ModelProviderTestResult');

const tags = ['model providers'];

const list = createRoute({
  method: 'get',
  path: '/v1/model-providers',
  tags,
  summary: 'List model providers, newest first',
  security,
  request: { query: PaginationQuery },
  responses: { 200: jsonResponse('Model providers', page(ProviderSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/model-providers',
  tags,
  summary: 'Configure a model provider (OpenAI, Anthropic, OpenAI-compatible, offline)',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The provider', ProviderSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/model-providers/{id}',
  tags,
  summary: 'Get a model provider',
  security,
  request: { params: providerParam },
  responses: { 200: jsonResponse('The provider', ProviderSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/model-providers/{id}',
  tags,
  summary: 'Update a model provider (a new apiKey rotates the stored key)',
  security,
  request: { params: providerParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The provider', ProviderSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/model-providers/{id}',
  tags,
  summary: 'Delete a model provider and its stored key',
  security,
  request: { params: providerParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

const test = createRoute({
  method: 'post',
  path: '/v1/model-providers/{id}/test',
  tags,
  summary: 'Make one minimal real call through the provider and report whether it answered',
  security,
  request: { params: providerParam, ...jsonBody(TestBody) },
  responses: {
    200: jsonResponse('The outcome (ok or the error the vendor gave)', TestResult),
    ...standardErrors,
  },
});

/** `/v1/model-providers`: CRUD and the connection test. */
export function registerModelProviderRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').modelProviders.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const provider = await c.get('services').modelProviders.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/model-providers/${provider.id}`);
    return c.json(provider, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').modelProviders.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .modelProviders.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').modelProviders.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(test, async (c) => {
    const services = c.get('services');
    const context = requestContextOf(c);
    const recorder = createModelCallRecorder(services.deps.db, context);
    try {
      const result = await testModelProvider(services.modelProviderDeps, context, c.req.valid('param').id, {
        model: c.req.valid('json').model,
        onModelCall: recorder.listener,
      });
      return c.json(result, 200);
    } finally {
      await recorder.flush();
    }
  });
}
