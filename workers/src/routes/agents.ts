import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { AgentVoiceSettings } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  idParam,
  jsonBody,
  jsonDepthWithin,
  jsonResponse,
  PaginationQuery,
  page,
  security,
  standardErrors,
} from '../schemas.ts';

const STATUSES = ['draft', 'active', 'archived'] as const;

export const AgentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(STATUSES),
    language: z.string(),
    config: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.string()),
    version: z.number().int(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Agent');

/** Agent configuration: model choice, prompt and channel settings; provider-neutral names only. */
const AgentConfig = z
  .record(z.string().max(100), z.unknown())
  // Depth first, aborting: the size check below serializes recursively.
  .refine((value) => jsonDepthWithin(value, 32), {
    message: 'config may nest at most 32 levels',
    abort: true,
  })
  .refine((value) => JSON.stringify(value).length <= 64_000, 'config must serialize to at most 64 kB')
  // Phone settings are checked when they are saved, not when the first call fails on them.
  .superRefine((value, context) => {
    if (value.voice === undefined) return;
    const parsed = AgentVoiceSettings.safeParse(value.voice);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      context.addIssue({ code: 'custom', message: issue.message, path: ['voice', ...issue.path] });
    }
  });

const Metadata = z
  .record(z.string().min(1).max(100), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'metadata may hold at most 50 keys');

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable(),
  status: z.enum(STATUSES),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as "en" or "en-GB"'),
  config: AgentConfig,
  metadata: Metadata,
};

const CreateBody = z
  .strictObject({
    name: fields.name,
    description: fields.description.optional(),
    status: fields.status.optional(),
    language: fields.language.optional(),
    config: fields.config.optional(),
    metadata: fields.metadata.optional(),
  })
  .openapi('CreateAgentRequest');

const UpdateBody = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.optional(),
    status: fields.status.optional(),
    language: fields.language.optional(),
    config: fields.config.optional(),
    metadata: fields.metadata.optional(),
    expectedVersion: z.number().int().positive().optional().openapi({
      description: 'When set, the update only applies if the agent is still at this version (else 409)',
    }),
  })
  .refine(
    (body) => Object.keys(body).some((key) => key !== 'expectedVersion'),
    'at least one field to change is required',
  )
  .openapi('UpdateAgentRequest');

const agentParam = idParam('agt');

const list = createRoute({
  method: 'get',
  path: '/v1/agents',
  tags: ['agents'],
  summary: 'List agents, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      status: z.enum(STATUSES).optional(),
      q: z
        .string()
        .trim()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: 'Name contains (case-insensitive)' }),
    }),
  },
  responses: { 200: jsonResponse('Agents', page(AgentSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/agents',
  tags: ['agents'],
  summary: 'Create an agent',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The agent', AgentSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/agents/{id}',
  tags: ['agents'],
  summary: 'Get an agent',
  security,
  request: { params: agentParam },
  responses: { 200: jsonResponse('The agent', AgentSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/agents/{id}',
  tags: ['agents'],
  summary: 'Update an agent',
  security,
  request: { params: agentParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The agent', AgentSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/agents/{id}',
  tags: ['agents'],
  summary: 'Delete an agent',
  security,
  request: { params: agentParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

export function registerAgentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').agents.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const agent = await c.get('services').agents.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/agents/${agent.id}`);
    return c.json(agent, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').agents.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) => {
    const { expectedVersion, ...patch } = c.req.valid('json');
    return c.json(
      await c
        .get('services')
        .agents.update(requestContextOf(c), c.req.valid('param').id, patch, expectedVersion),
      200,
    );
  });
  app.openapi(remove, async (c) => {
    await c.get('services').agents.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
}
