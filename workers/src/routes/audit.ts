import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonResponse, page, security, standardErrors } from '../schemas.ts';

const AuditEntrySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    seq: z.number().int(),
    occurredAt: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const list = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'List audit entries, newest first',
  security,
  request: {
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z
        .string()
        .regex(/^\d{1,15}$/, 'must be a cursor from nextCursor')
        .optional(),
      action: z.string().max(100).optional(),
      resourceType: z.string().max(100).optional(),
      resourceId: z.string().max(100).optional(),
      actorId: z.string().max(100).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: { 200: jsonResponse('Audit entries', page(AuditEntrySchema)), ...standardErrors },
});

const verify = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  tags: ['audit'],
  summary: 'Recompute the tenant’s hash chain and name the first broken link',
  security,
  responses: {
    200: jsonResponse(
      'Verification result',
      z.object({
        valid: z.boolean(),
        checked: z.number().int(),
        headHash: z.string().optional(),
        firstBroken: z
          .object({
            seq: z.number().int(),
            id: z.string().nullable(),
            reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'missing_row']),
          })
          .optional(),
      }),
    ),
    ...standardErrors,
  },
});

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) => {
    const query = c.req.valid('query');
    return c.json(
      await c.get('services').audit.list(requestContextOf(c), {
        ...query,
        cursor: query.cursor === undefined ? undefined : Number(query.cursor),
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      }),
      200,
    );
  });
  app.openapi(verify, async (c) => c.json(await c.get('services').audit.verify(requestContextOf(c)), 200));
}
