import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { principalOf, requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonBody, jsonResponse, PaginationQuery, page, security, standardErrors } from '../schemas.ts';
import { MemberSchema } from './members.ts';

export const TenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Tenant');

const CreateTenantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    owner: z.strictObject({
      email: z.string().trim().email().max(320),
      password: z.string().min(12).max(1024).optional(),
      name: z.string().trim().min(1).max(200).optional(),
    }),
  })
  .openapi('CreateTenantRequest');

const createTenant = createRoute({
  method: 'post',
  path: '/v1/tenants',
  tags: ['tenants'],
  summary: 'Create a tenant with its first owner (platform administrators)',
  security,
  request: jsonBody(CreateTenantBody),
  responses: {
    201: jsonResponse(
      'The tenant, its owner and, when no password was given, a temporary password shown once',
      z.object({ tenant: TenantSchema, owner: MemberSchema, temporaryPassword: z.string().optional() }),
    ),
    ...standardErrors,
  },
});

const listTenants = createRoute({
  method: 'get',
  path: '/v1/tenants',
  tags: ['tenants'],
  summary: 'List all tenants (platform administrators)',
  security,
  request: { query: PaginationQuery },
  responses: {
    200: jsonResponse('Tenants', page(TenantSchema.omit({ updatedAt: true }))),
    ...standardErrors,
  },
});

const currentTenant = createRoute({
  method: 'get',
  path: '/v1/tenant',
  tags: ['tenants'],
  summary: 'The caller’s tenant',
  security,
  responses: { 200: jsonResponse('Tenant', TenantSchema), ...standardErrors },
});

const updateTenant = createRoute({
  method: 'patch',
  path: '/v1/tenant',
  tags: ['tenants'],
  summary: 'Rename the caller’s tenant',
  security,
  request: jsonBody(z.strictObject({ name: z.string().trim().min(1).max(200) })),
  responses: { 200: jsonResponse('Tenant', TenantSchema), ...standardErrors },
});

export function registerTenantRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createTenant, async (c) => {
    const principal = principalOf(c);
    const result = await c.get('services').tenants.create(
      {
        actor: { type: 'user', id: principal.userId },
        requestId: c.get('requestId'),
        ip: c.get('clientIp'),
      },
      c.req.valid('json'),
    );
    return c.json(result, 201);
  });

  app.openapi(listTenants, async (c) => {
    const principal = principalOf(c);
    const query = c.req.valid('query');
    return c.json(await c.get('services').tenants.listAll(principal.userId ?? '', query), 200);
  });

  app.openapi(currentTenant, async (c) =>
    c.json(await c.get('services').tenants.current(requestContextOf(c)), 200),
  );

  app.openapi(updateTenant, async (c) =>
    c.json(await c.get('services').tenants.update(requestContextOf(c), c.req.valid('json')), 200),
  );
}
