import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
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
import { ConversationSchema, MessageSchema } from './conversations.ts';

const STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;

/** A human-in-the-loop approval. */
export const ApprovalSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    agentId: z.string(),
    nodeId: z.string(),
    action: z.string(),
    data: z.record(z.string(), z.unknown()),
    status: z.enum(STATUSES),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionNote: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Approval');

const DecisionResponse = z
  .object({
    approval: ApprovalSchema,
    conversation: ConversationSchema.nullable(),
    messages: z.array(MessageSchema),
  })
  .openapi('ApprovalDecision');

const Note = z.string().trim().min(1).max(2000);

/** Edited data: a JSON object, shallow-merged over the proposed data. */
const EditedData = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((value) => jsonDepthWithin(value, 16), { message: 'data may nest at most 16 levels', abort: true })
  .refine((value) => JSON.stringify(value).length <= 16_000, 'data must serialize to at most 16 kB');

const ApproveBody = z
  .strictObject({
    data: EditedData.optional().openapi({ description: 'Edits, merged over the proposed data' }),
    note: Note.optional(),
  })
  .openapi('ApproveRequest');

const RejectBody = z.strictObject({ note: Note.optional() }).openapi('RejectRequest');

const approvalParam = idParam('apr');

const list = createRoute({
  method: 'get',
  path: '/v1/approvals',
  tags: ['approvals'],
  summary: 'List approvals, newest first (expired ones are marked on read)',
  security,
  request: { query: PaginationQuery.extend({ status: z.enum(STATUSES).optional() }) },
  responses: { 200: jsonResponse('Approvals', page(ApprovalSchema)), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/approvals/{id}',
  tags: ['approvals'],
  summary: 'Get an approval',
  security,
  request: { params: approvalParam },
  responses: { 200: jsonResponse('The approval', ApprovalSchema), ...standardErrors },
});

const approve = createRoute({
  method: 'post',
  path: '/v1/approvals/{id}/approve',
  tags: ['approvals'],
  summary: 'Approve (optionally with edited data); the conversation resumes on the approved branch',
  security,
  request: { params: approvalParam, ...jsonBody(ApproveBody) },
  responses: { 200: jsonResponse('The decision and the follow-up', DecisionResponse), ...standardErrors },
});

const reject = createRoute({
  method: 'post',
  path: '/v1/approvals/{id}/reject',
  tags: ['approvals'],
  summary: 'Reject; the conversation resumes on the rejected branch',
  security,
  request: { params: approvalParam, ...jsonBody(RejectBody) },
  responses: { 200: jsonResponse('The decision and the follow-up', DecisionResponse), ...standardErrors },
});

/** Approvals: list, read, approve (with edits), reject; a decision resumes the conversation. */
export function registerApprovalRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').approvals.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(get, async (c) =>
    c.json(await c.get('services').approvals.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(approve, async (c) =>
    c.json(
      await c
        .get('services')
        .approvals.approve(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(reject, async (c) =>
    c.json(
      await c
        .get('services')
        .approvals.reject(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
}
