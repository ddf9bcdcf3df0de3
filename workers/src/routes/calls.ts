import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { CALL_DIRECTIONS, CALL_STATUSES } from '@lumay/shared';
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
import { AgentIdSchema, PhoneSchema } from './phone-numbers.ts';

export const CallSchema = z
  .object({
    id: z.string(),
    agentId: z.string(),
    conversationId: z.string().nullable(),
    phoneNumberId: z.string().nullable(),
    campaignId: z.string().nullable(),
    campaignContactId: z.string().nullable(),
    direction: z.enum(CALL_DIRECTIONS),
    from: z.string(),
    to: z.string(),
    twilioCallSid: z.string().nullable(),
    status: z.enum(CALL_STATUSES),
    answeredBy: z.string().nullable(),
    startedAt: z.string().nullable(),
    answeredAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationSeconds: z.number().int().nullable(),
    endReason: z.string().nullable(),
    transferTo: z.string().nullable(),
    summary: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Call');

const millis = z.number().nullable();

const CallTurnSchema = z
  .object({
    index: z.number().int(),
    callerText: z.string().nullable().openapi({ description: 'What the caller said (final transcript)' }),
    assistantText: z.string().nullable().openapi({ description: 'What the agent meant to say' }),
    heardText: z
      .string()
      .nullable()
      .openapi({ description: 'What the caller heard: assistantText cut where the caller barged in' }),
    interrupted: z.boolean(),
    latencyMs: z.object({
      speechEndToSttFinal: millis,
      sttFinalToLlmFirstToken: millis,
      llmFirstTokenToTtsFirstByte: millis,
      ttsFirstByteToFirstFrame: millis,
      totalResponse: millis,
      serverAddedMs: millis,
    }),
    bargeInReactionMs: millis,
    at: z.string(),
  })
  .openapi('CallTurn');

const CallDetailsSchema = CallSchema.extend({
  turns: z.array(CallTurnSchema),
  links: z.object({
    conversation: z
      .string()
      .nullable()
      .openapi({ description: 'The transcript: the linked conversation (GET it for the messages)' }),
  }),
}).openapi('CallWithTurns');

const Metadata = z
  .record(z.string().min(1).max(100), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'metadata may hold at most 50 keys');

const CreateBody = z
  .strictObject({
    agentId: AgentIdSchema,
    to: PhoneSchema,
    from: PhoneSchema.optional().openapi({
      description: "An active number of this tenant; default: the agent's first active number",
    }),
    metadata: Metadata.optional(),
  })
  .openapi('CreateCallRequest');

const callParam = idParam('cal');

const list = createRoute({
  method: 'get',
  path: '/v1/calls',
  tags: ['calls'],
  summary: 'List calls, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      status: z.enum(CALL_STATUSES).optional(),
      direction: z.enum(CALL_DIRECTIONS).optional(),
      agentId: AgentIdSchema.optional(),
      campaignId: z
        .string()
        .regex(/^cmp_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a campaign id (cmp_…)')
        .optional(),
    }),
  },
  responses: { 200: jsonResponse('Calls', page(CallSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/calls',
  tags: ['calls'],
  summary: 'Request an outbound call: the voice node dials it (202, status requested)',
  security,
  request: jsonBody(CreateBody),
  responses: { 202: jsonResponse('The requested call', CallSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/calls/{id}',
  tags: ['calls'],
  summary: 'Get a call with its turns (latency per turn) and the link to its transcript',
  security,
  request: { params: callParam },
  responses: { 200: jsonResponse('The call', CallDetailsSchema), ...standardErrors },
});

/** Calls: request outbound calls, list and read call records. */
export function registerCallRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').calls.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const call = await c.get('services').calls.createOutboundCall(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/calls/${call.id}`);
    return c.json(call, 202);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').calls.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
}
