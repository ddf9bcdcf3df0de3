import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { FLOW_FINDING_CODES } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  jsonBody,
  jsonDepthWithin,
  jsonResponse,
  PaginationQuery,
  page,
  security,
  standardErrors,
} from '../schemas.ts';

export const FlowFindingSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    code: z.enum(FLOW_FINDING_CODES),
    nodeId: z
      .string()
      .nullable()
      .openapi({ description: 'The node the finding concerns (null: the flow as a whole)' }),
    message: z.string(),
    path: z.string().optional().openapi({ description: 'The field inside the node, e.g. branches[0].when' }),
  })
  .openapi('FlowFinding');

export const FlowDefinitionSchema = z.record(z.string(), z.unknown()).openapi('FlowDefinition', {
  description:
    'A flow definition: { start, nodes: [{ id, type: message|collect|llm|intent_router|condition|tool|delegate|approval|handoff|set|end, … }], variables?, settings? }',
});

/** A definition in a request: shape is checked by the service (findings name the node); size here. */
export const DefinitionInput = z
  .record(z.string(), z.unknown())
  .refine((value) => jsonDepthWithin(value, 32), {
    message: 'definition may nest at most 32 levels',
    abort: true,
  })
  .refine((value) => JSON.stringify(value).length <= 512_000, 'definition must serialize to at most 500 kB')
  .openapi('FlowDefinitionInput');

export const FlowSchema = z
  .object({
    id: z.string(),
    agentId: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    draft: FlowDefinitionSchema,
    draftRevision: z.number().int(),
    publishedVersion: z.number().int().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Flow');

export const FlowWithFindingsSchema = FlowSchema.extend({
  valid: z.boolean().openapi({ description: 'No finding is an error (the draft can be published)' }),
  findings: z.array(FlowFindingSchema),
}).openapi('FlowWithFindings');

const agentId = z.string().regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an agent id (agt_…)');
export const flowFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable(),
  agentId: agentId.nullable(),
};

const CreateBody = z
  .strictObject({
    name: flowFields.name,
    description: flowFields.description.optional(),
    agentId: flowFields.agentId.optional(),
    definition: DefinitionInput,
  })
  .openapi('CreateFlowRequest');

const UpdateBody = z
  .strictObject({
    name: flowFields.name.optional(),
    description: flowFields.description.optional(),
    agentId: flowFields.agentId.optional(),
    definition: DefinitionInput.optional(),
    draftRevision: z.number().int().positive().openapi({
      description: 'The revision the change is based on; a stale revision answers 409',
    }),
  })
  .refine(
    (body) => Object.keys(body).some((key) => key !== 'draftRevision'),
    'at least one field to change is required',
  )
  .openapi('UpdateFlowRequest');

/** Any well-formed prefixed id: another kind of id cannot name a flow, so it is a 404 (like intents). */
export const flowParam = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a flow id (flw_…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'flw_01JD4X3Y5Z6A7B8C9D0E1F2G3H' }),
});

const list = createRoute({
  method: 'get',
  path: '/v1/flows',
  tags: ['flows'],
  summary: 'List flows, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      agentId: agentId.optional(),
      q: z
        .string()
        .trim()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: 'Name contains (case-insensitive)' }),
    }),
  },
  responses: { 200: jsonResponse('Flows', page(FlowSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/flows',
  tags: ['flows'],
  summary: 'Create a flow with a draft (schema errors: 400; other findings are returned)',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The flow and its findings', FlowWithFindingsSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/flows/{id}',
  tags: ['flows'],
  summary: 'Get a flow with the findings of its draft',
  security,
  request: { params: flowParam },
  responses: { 200: jsonResponse('The flow and its findings', FlowWithFindingsSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/flows/{id}',
  tags: ['flows'],
  summary: 'Update the draft (optimistic: draftRevision)',
  security,
  request: { params: flowParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The flow and its findings', FlowWithFindingsSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/flows/{id}',
  tags: ['flows'],
  summary: 'Delete a flow and its versions (409 while an agent selects it)',
  security,
  request: { params: flowParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

const validate = createRoute({
  method: 'post',
  path: '/v1/flows/{id}/validate',
  tags: ['flows'],
  summary: 'Validate the draft against the current tools, agents and intents',
  security,
  request: {
    params: flowParam,
    body: {
      required: false,
      content: { 'application/json': { schema: z.strictObject({}).openapi('ValidateFlowRequest') } },
    },
  },
  responses: {
    200: jsonResponse(
      'The validation result',
      z.object({ valid: z.boolean(), findings: z.array(FlowFindingSchema) }).openapi('FlowValidation'),
    ),
    ...standardErrors,
  },
});

export function registerFlowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').flows.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const flow = await c.get('services').flows.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/flows/${flow.id}`);
    return c.json(flow, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').flows.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) => {
    const { draftRevision, ...patch } = c.req.valid('json');
    const flows = c.get('services').flows;
    return c.json(
      await flows.update(requestContextOf(c), c.req.valid('param').id, patch, draftRevision),
      200,
    );
  });
  app.openapi(remove, async (c) => {
    await c.get('services').flows.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(validate, async (c) =>
    c.json(await c.get('services').flows.validate(requestContextOf(c), c.req.valid('param').id), 200),
  );
}
