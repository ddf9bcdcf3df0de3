import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { idParam, jsonBody, jsonDepthWithin, jsonResponse, security, standardErrors } from '../schemas.ts';

const agentParam = idParam('agt');

const Message = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().min(1).max(32_000),
});

const ResponseSchema = z
  .record(z.string().max(200), z.unknown())
  .refine((value) => jsonDepthWithin(value, 16), {
    message: 'responseSchema may nest at most 16 levels',
    abort: true,
  })
  .refine((value) => JSON.stringify(value).length <= 16_000, 'responseSchema must serialize to at most 16 kB')
  .openapi({
    description:
      'A JSON schema with an object at the root; the reply is then validated against it (one repair attempt). ' +
      '"pattern" is not supported.',
    example: {
      type: 'object',
      properties: {
        intent: { type: 'string', enum: ['order_status', 'refund', 'other'] },
        orderId: { type: 'integer' },
      },
      required: ['intent', 'orderId'],
      additionalProperties: false,
    },
  });

const CompleteBody = z
  .strictObject({
    messages: z.array(Message).min(1).max(100),
    responseSchema: ResponseSchema.optional(),
    schemaName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, "_" and "-" (≤ 64)')
      .optional()
      .openapi({ description: 'Name of responseSchema for the provider (default "response")' }),
    conversationId: z.string().min(1).max(100).optional().openapi({ description: 'Attributes the cost' }),
  })
  .refine((body) => body.messages[0]?.role === 'user' && body.messages.at(-1)?.role === 'user', {
    message: 'the conversation must start and end with a user message',
    path: ['messages'],
  })
  .openapi('CompleteRequest');

const CompletionSchema = z
  .object({
    agentId: z.string(),
    providerId: z
      .string()
      .nullable()
      .openapi({ description: 'The stored provider that answered (null: inline)' }),
    provider: z
      .string()
      .openapi({ description: 'The provider that answered (openai, anthropic, ollama, offline, …)' }),
    model: z.string(),
    text: z.string(),
    object: z
      .unknown()
      .optional()
      .openapi({ description: 'The validated object, when responseSchema was given' }),
    finishReason: z.string(),
    usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
    attempts: z.number().int(),
    modelIndex: z.number().int().openapi({ description: "Position in the agent's model chain (0: primary)" }),
    cost: z.object({ usd: z.number(), priceVersion: z.string().nullable(), priced: z.boolean() }),
    latencyMs: z.number().int(),
  })
  .openapi('Completion');

const complete = createRoute({
  method: 'post',
  path: '/v1/agents/{id}/complete',
  tags: ['agents'],
  summary: "Answer through the agent's configured models (config.llm), recording the cost",
  security,
  request: { params: agentParam, ...jsonBody(CompleteBody) },
  responses: { 200: jsonResponse('The answer', CompletionSchema), ...standardErrors },
});

/** `POST /v1/agents/{id}/complete`: one answer through the agent's configured models. */
export function registerAgentCompletionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(complete, async (c) => {
    const services = c.get('services');
    const context = requestContextOf(c);
    const agent = await services.agents.get(context, c.req.valid('param').id);
    return c.json(await services.completions.complete(context, agent, c.req.valid('json')), 200);
  });
}
