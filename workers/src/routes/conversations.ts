import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { isAppError, type TurnResult, type TurnSink } from '@lumay/shared';
import { streamSSE } from 'hono/streaming';
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

const STATUSES = ['active', 'waiting_approval', 'delegated', 'handed_off', 'ended', 'failed'] as const;

/** A transcript message. */
export const MessageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    role: z.enum(['user', 'assistant', 'system', 'tool']),
    content: z.string(),
    nodeId: z.string().nullable(),
    clientMessageId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi('Message');

/** A conversation (without its transcript). */
export const ConversationSchema = z
  .object({
    id: z.string(),
    agentId: z.string(),
    flowId: z.string().nullable(),
    flowVersion: z.number().int().nullable(),
    channel: z.string(),
    status: z.enum(STATUSES),
    parentConversationId: z.string().nullable(),
    turnCount: z.number().int(),
    outcome: z.string().nullable(),
    waitingFor: z.object({ kind: z.string(), nodeId: z.string(), id: z.string().nullable() }).nullable(),
    usage: z.object({
      inputTokens: z.number(),
      outputTokens: z.number(),
      costUsd: z.number(),
      modelCalls: z.number().int(),
    }),
    metadata: z.record(z.string(), z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    endedAt: z.string().nullable(),
  })
  .openapi('Conversation');

const TurnSchema = z
  .object({
    id: z.string(),
    status: z.enum(['success', 'suspended', 'failed']),
    reason: z.string(),
    duplicate: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('Turn');

const TurnResponse = z
  .object({ conversation: ConversationSchema, messages: z.array(MessageSchema), turn: TurnSchema })
  .openapi('TurnResponse');

const ConversationDetails = ConversationSchema.extend({ messages: z.array(MessageSchema) }).openapi(
  'ConversationWithTranscript',
);

const Metadata = z
  .record(z.string().min(1).max(100), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'metadata may hold at most 50 keys');

const CreateBody = z
  .strictObject({
    agentId: z.string().regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an agent id (agt_…)'),
    channel: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'channel names are lower-case, e.g. chat, voice')
      .default('chat'),
    metadata: Metadata.optional(),
  })
  .openapi('CreateConversationRequest');

const MessageBody = z
  .strictObject({
    text: z.string().trim().min(1).max(4000).optional(),
    digits: z
      .string()
      .regex(/^[0-9*#]{1,32}$/, 'DTMF digits: 0-9, * and #')
      .optional(),
    clientMessageId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits and . _ : - (up to 200)')
      .optional()
      .openapi({ description: 'Idempotency key: a repeat returns the original reply without re-running' }),
  })
  .refine((body) => body.text !== undefined || body.digits !== undefined, 'text or digits is required')
  .openapi('SendMessageRequest');

const EndBody = z
  .strictObject({ outcome: z.enum(['resolved', 'abandoned', 'escalated']).default('abandoned') })
  .openapi('EndConversationRequest');

const conversationParam = idParam('cnv');

const create = createRoute({
  method: 'post',
  path: '/v1/conversations',
  tags: ['conversations'],
  summary: "Start a conversation with an agent; answers with the agent's opening messages",
  security,
  request: jsonBody(CreateBody),
  responses: {
    201: jsonResponse('The conversation and its opening messages', TurnResponse),
    ...standardErrors,
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/conversations',
  tags: ['conversations'],
  summary: 'List conversations, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      agentId: z
        .string()
        .regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/)
        .optional(),
      status: z.enum(STATUSES).optional(),
      channel: z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'channel names are lower-case, e.g. chat, voice')
        .optional()
        .openapi({ description: 'Only this channel; by default every channel except `test` (test runs)' }),
    }),
  },
  responses: { 200: jsonResponse('Conversations', page(ConversationSchema)), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/conversations/{id}',
  tags: ['conversations'],
  summary: 'Get a conversation with its transcript',
  security,
  request: { params: conversationParam },
  responses: { 200: jsonResponse('The conversation', ConversationDetails), ...standardErrors },
});

const send = createRoute({
  method: 'post',
  path: '/v1/conversations/{id}/messages',
  tags: ['conversations'],
  summary: 'Send a message; JSON reply, or server-sent events with Accept: text/event-stream',
  description:
    'With `Accept: text/event-stream` the turn streams as events: `message.delta` ({ messageId, nodeId, delta }) ' +
    'while an llm node generates, `message` per stored assistant message, `status` ({ status }), and `done` ' +
    '({ turn, conversation }) last; `error` ({ error }) replaces `done` when the turn cannot run.',
  security,
  request: { params: conversationParam, ...jsonBody(MessageBody) },
  responses: {
    200: {
      description: 'The reply',
      content: {
        'application/json': { schema: TurnResponse },
        'text/event-stream': { schema: z.string().openapi({ description: 'Server-sent events' }) },
      },
    },
    ...standardErrors,
  },
});

const end = createRoute({
  method: 'post',
  path: '/v1/conversations/{id}/end',
  tags: ['conversations'],
  summary: 'End a conversation',
  security,
  request: { params: conversationParam, ...jsonBody(EndBody) },
  responses: { 200: jsonResponse('The ended conversation', ConversationSchema), ...standardErrors },
});

function turnBody(result: TurnResult) {
  return {
    conversation: result.conversation,
    messages: result.messages,
    turn: {
      id: result.turnId,
      status: result.status,
      reason: result.reason,
      duplicate: result.duplicate,
      ...(result.status === 'failed' ? { error: result.error } : {}),
    },
  };
}

/** Conversations: start, messages (JSON or server-sent events), transcript, list, end. */
export function registerConversationRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const result = await c.get('services').conversations.start(requestContextOf(c), {
      agentId: body.agentId,
      channel: body.channel,
      ...(body.metadata ? { metadata: body.metadata } : {}),
    });
    c.header('Location', `/v1/conversations/${result.conversation.id}`);
    return c.json(turnBody(result), 201);
  });

  app.openapi(list, async (c) =>
    c.json(await c.get('services').conversations.list(requestContextOf(c), c.req.valid('query')), 200),
  );

  app.openapi(get, async (c) =>
    c.json(await c.get('services').conversations.get(requestContextOf(c), c.req.valid('param').id), 200),
  );

  app.openapi(send, async (c) => {
    const context = requestContextOf(c);
    const { id } = c.req.valid('param');
    const message = c.req.valid('json');
    const conversations = c.get('services').conversations;
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
      return c.json(turnBody(await conversations.send(context, id, message)), 200);
    }
    // Failures known before the stream starts are ordinary JSON errors (404, 409).
    await conversations.checkAcceptsMessage(context, id, message.clientMessageId);
    return streamSSE(c, async (stream) => {
      let writes: Promise<void> = Promise.resolve();
      const write = (event: string, data: unknown) => {
        writes = writes
          .then(() => stream.writeSSE({ event, data: JSON.stringify(data) }))
          .catch(() => undefined);
      };
      const sink: TurnSink = {
        delta: (delta) => write('message.delta', delta),
        message: (stored) => write('message', stored),
        status: (status) => write('status', { status }),
      };
      try {
        const result = await conversations.send(context, id, message, { sink });
        // A replayed duplicate ran nothing: its stored messages are the reply.
        if (result.duplicate) for (const stored of result.messages) write('message', stored);
        write('status', { status: result.conversation.status });
        const { conversation, turn } = turnBody(result);
        write('done', { turn, conversation });
      } catch (error) {
        const known = isAppError(error);
        write('error', {
          error: {
            code: known ? error.code : 'internal_error',
            message: known ? error.message : 'An unexpected error occurred',
            requestId: c.get('requestId'),
          },
        });
        if (!known)
          console.error(
            JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: String(error) }),
          );
      }
      await writes;
    });
  });

  app.openapi(end, async (c) =>
    c.json(
      await c
        .get('services')
        .conversations.end(requestContextOf(c), c.req.valid('param').id, c.req.valid('json').outcome),
      200,
    ),
  );
}
