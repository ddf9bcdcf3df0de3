import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  idParam,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  page,
  RoleSchema,
  security,
  standardErrors,
} from '../schemas.ts';

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    lastFour: z.string(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const CreateBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    role: RoleSchema,
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .openapi('CreateApiKeyRequest');

const keyParam = idParam('key');

const list = createRoute({
  method: 'get',
  path: '/v1/api-keys',
  tags: ['api-keys'],
  summary: 'List API keys (secrets are never returned)',
  security,
  request: { query: PaginationQuery },
  responses: { 200: jsonResponse('API keys', page(ApiKeySchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/api-keys',
  tags: ['api-keys'],
  summary: 'Create an API key; `key` is shown only in this response',
  security,
  request: jsonBody(CreateBody),
  responses: {
    201: jsonResponse('The key, with its secret', ApiKeySchema.extend({ key: z.string() })),
    ...standardErrors,
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/api-keys/{id}',
  tags: ['api-keys'],
  summary: 'Get an API key',
  security,
  request: { params: keyParam },
  responses: { 200: jsonResponse('API key', ApiKeySchema), ...standardErrors },
});

const revoke = createRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  tags: ['api-keys'],
  summary: 'Revoke an API key (takes effect immediately)',
  security,
  request: { params: keyParam },
  responses: { 200: jsonResponse('The revoked key', ApiKeySchema), ...standardErrors },
});

export function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').apiKeys.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const created = await c.get('services').apiKeys.create(requestContextOf(c), {
      name: body.name,
      role: body.role,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
    });
    c.header('Cache-Control', 'no-store');
    return c.json(created, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').apiKeys.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(revoke, async (c) =>
    c.json(await c.get('services').apiKeys.revoke(requestContextOf(c), c.req.valid('param').id), 200),
  );
}
