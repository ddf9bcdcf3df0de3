import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonBody, jsonResponse, page, security, standardErrors } from '../schemas.ts';
import { FlowDefinitionSchema, FlowFindingSchema, flowParam } from './flows.ts';

const MAX_VERSION = 1_000_000;

const FlowVersionSchema = z
  .object({
    id: z.string(),
    flowId: z.string(),
    version: z.number().int(),
    contentHash: z.string().openapi({ description: 'SHA-256 of the canonical JSON of the definition' }),
    note: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    published: z.boolean().openapi({ description: 'The flow’s published pointer is at this version' }),
    definition: FlowDefinitionSchema.optional(),
  })
  .openapi('FlowVersion');

const PublishBody = z
  .strictObject({ note: z.string().trim().max(500).nullable().optional() })
  .openapi('PublishFlowRequest');

const RollbackBody = z
  .strictObject({
    version: z.number().int().min(1).max(MAX_VERSION),
    restoreDraft: z
      .boolean()
      .optional()
      .openapi({ description: 'Also replace the draft with that version’s definition (default false)' }),
  })
  .openapi('RollbackFlowRequest');

const side = z
  .string()
  .regex(/^(draft|[1-9]\d{0,6})$/, 'must be a version number or "draft"')
  .transform((value) => (value === 'draft' ? ('draft' as const) : Number(value)));

const FieldChangeSchema = z.object({ field: z.string(), from: z.unknown(), to: z.unknown() });
const NodeRefSchema = z.object({ id: z.string(), type: z.string() });
const DiffSchema = z
  .object({
    from: z.object({ version: z.union([z.number(), z.literal('draft')]), contentHash: z.string() }),
    to: z.object({ version: z.union([z.number(), z.literal('draft')]), contentHash: z.string() }),
    identical: z.boolean(),
    start: z.object({ from: z.string(), to: z.string() }).nullable(),
    nodes: z.object({
      added: z.array(NodeRefSchema),
      removed: z.array(NodeRefSchema),
      changed: z.array(NodeRefSchema.extend({ fields: z.array(FieldChangeSchema) })),
    }),
    variables: z.object({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(FieldChangeSchema),
    }),
    settings: z.array(FieldChangeSchema),
  })
  .openapi('FlowDiff');

const publish = createRoute({
  method: 'post',
  path: '/v1/flows/{id}/publish',
  tags: ['flows'],
  summary: 'Publish the draft as a new immutable version (400 with findings while it has errors)',
  description:
    'An unchanged draft (same content hash as the latest version) creates no version: the latest one is returned with `created: false` (and republished if the pointer had been rolled back).',
  security,
  request: {
    params: flowParam,
    body: { required: false, content: { 'application/json': { schema: PublishBody } } },
  },
  responses: {
    200: jsonResponse(
      'The version now published',
      z
        .object({ version: FlowVersionSchema, created: z.boolean(), findings: z.array(FlowFindingSchema) })
        .openapi('PublishFlowResult'),
    ),
    ...standardErrors,
  },
});

const rollback = createRoute({
  method: 'post',
  path: '/v1/flows/{id}/rollback',
  tags: ['flows'],
  summary: 'Point the flow back at an existing version (no version is created)',
  security,
  request: { params: flowParam, ...jsonBody(RollbackBody) },
  responses: { 200: jsonResponse('The version now published', FlowVersionSchema), ...standardErrors },
});

const versions = createRoute({
  method: 'get',
  path: '/v1/flows/{id}/versions',
  tags: ['flows'],
  summary: 'List published versions, newest first',
  security,
  request: {
    params: flowParam,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .regex(/^[1-9]\d{0,6}$/, 'a version number from nextCursor')
        .optional(),
    }),
  },
  responses: { 200: jsonResponse('Versions', page(FlowVersionSchema)), ...standardErrors },
});

const version = createRoute({
  method: 'get',
  path: '/v1/flows/{id}/versions/{version}',
  tags: ['flows'],
  summary: 'Get a published version with its definition',
  security,
  request: {
    // Checked after the flow is found, so a missing flow is a 404 whatever the version looks like.
    params: flowParam.extend({
      version: z
        .string()
        .max(20)
        .openapi({ param: { name: 'version', in: 'path' }, example: '1' }),
    }),
  },
  responses: { 200: jsonResponse('The version', FlowVersionSchema), ...standardErrors },
});

const diff = createRoute({
  method: 'get',
  path: '/v1/flows/{id}/diff',
  tags: ['flows'],
  summary: 'What changed between two versions, or a version and the draft (default: published → draft)',
  security,
  request: {
    params: flowParam,
    query: z.strictObject({
      from: side
        .optional()
        .openapi({ description: 'A version number or "draft" (default: the published version)' }),
      to: side.default('draft').openapi({ description: 'A version number or "draft" (default)' }),
    }),
  },
  responses: { 200: jsonResponse('The diff', DiffSchema), ...standardErrors },
});

export function registerFlowVersionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(publish, async (c) => {
    const body = c.req.valid('json');
    const flows = c.get('services').flows;
    return c.json(
      await flows.publish(requestContextOf(c), c.req.valid('param').id, { note: body.note ?? null }),
      200,
    );
  });
  app.openapi(rollback, async (c) => {
    const { version: target, restoreDraft } = c.req.valid('json');
    const flows = c.get('services').flows;
    const context = requestContextOf(c);
    return c.json(
      await flows.rollback(context, c.req.valid('param').id, target, { restoreDraft: restoreDraft ?? false }),
      200,
    );
  });
  app.openapi(versions, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const flows = c.get('services').flows;
    const pageOptions = { limit, cursor: cursor === undefined ? undefined : Number(cursor) };
    return c.json(await flows.listVersions(requestContextOf(c), c.req.valid('param').id, pageOptions), 200);
  });
  app.openapi(version, async (c) => {
    const { id, version: number } = c.req.valid('param');
    return c.json(await c.get('services').flows.getVersion(requestContextOf(c), id, number), 200);
  });
  app.openapi(diff, async (c) => {
    const { from, to } = c.req.valid('query');
    return c.json(
      await c.get('services').flows.diff(requestContextOf(c), c.req.valid('param').id, from, to),
      200,
    );
  });
}
