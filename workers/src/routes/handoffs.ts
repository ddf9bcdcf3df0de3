import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
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
import { ConversationSchema } from './conversations.ts';

const STATUSES = ['open', 'accepted', 'closed'] as const;

const HandoffSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    agentId: z.string(),
    reason: z.string(),
    summary: z.string().nullable(),
    queue: z.string().nullable(),
    status: z.enum(STATUSES),
    assignedTo: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Handoff');

const CloseResponse = z
  .object({ handoff: HandoffSchema, conversation: ConversationSchema.nullable() })
  .openapi('HandoffClosed');

const NoteBody = z
  .strictObject({ note: z.string().trim().min(1).max(2000).optional() })
  .openapi('HandoffNote');

const handoffParam = idParam('hnd');

const list = createRoute({
  method: 'get',
  path: '/v1/handoffs',
  tags: ['handoffs'],
  summary: 'List handoffs to people, newest first',
  security,
  request: { query: PaginationQuery.extend({ status: z.enum(STATUSES).optional() }) },
  responses: { 200: jsonResponse('Handoffs', page(HandoffSchema)), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/handoffs/{id}',
  tags: ['handoffs'],
  summary: 'Get a handoff',
  security,
  request: { params: handoffParam },
  responses: { 200: jsonResponse('The handoff', HandoffSchema), ...standardErrors },
});

const accept = createRoute({
  method: 'post',
  path: '/v1/handoffs/{id}/accept',
  tags: ['handoffs'],
  summary: 'Accept a handoff (assigns it to the caller)',
  security,
  request: { params: handoffParam, ...jsonBody(NoteBody) },
  responses: { 200: jsonResponse('The handoff', HandoffSchema), ...standardErrors },
});

const close = createRoute({
  method: 'post',
  path: '/v1/handoffs/{id}/close',
  tags: ['handoffs'],
  summary: 'Close a handoff; its conversation ends (outcome escalated)',
  security,
  request: { params: handoffParam, ...jsonBody(NoteBody) },
  responses: {
    200: jsonResponse('The handoff and the ended conversation', CloseResponse),
    ...standardErrors,
  },
});

/** Handoffs to people: list, read, accept, close. */
export function registerHandoffRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').handoffs.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(get, async (c) =>
    c.json(await c.get('services').handoffs.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(accept, async (c) =>
    c.json(
      await c
        .get('services')
        .handoffs.accept(requestContextOf(c), c.req.valid('param').id, c.req.valid('json').note),
      200,
    ),
  );
  app.openapi(close, async (c) =>
    c.json(
      await c
        .get('services')
        .handoffs.close(requestContextOf(c), c.req.valid('param').id, c.req.valid('json').note),
      200,
    ),
  );
}
