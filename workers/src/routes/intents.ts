import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { MAX_INTENTS_PER_AGENT } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { idParam, jsonBody, jsonResponse, security, standardErrors } from '../schemas.ts';

/** Any well-formed prefixed id: another kind of id cannot name an intent, so it is a 404. */
const intentParam = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an intent id (itn_…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'itn_01JD4X3Y5Z6A7B8C9D0E1F2G3H' }),
});
const agentParam = idParam('agt');

const IntentSchema = z
  .object({
    id: z.string(),
    agentId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    examples: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Intent');

const fields = {
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,63}$/,
      'must be snake_case: a lower-case letter, then letters, digits or "_" (≤ 64)',
    )
    .refine((value) => value !== 'none', '"none" is reserved for "no intent"'),
  description: z.string().trim().max(500).nullable(),
  examples: z
    .array(z.string().trim().min(1).max(500))
    .max(200)
    .openapi({ description: 'Labelled example utterances (duplicates are dropped)' }),
};

const CreateBody = z
  .strictObject({ name: fields.name, description: fields.description.optional(), examples: fields.examples })
  .openapi('CreateIntentRequest');

const UpdateBody = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.optional(),
    examples: fields.examples.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change is required')
  .openapi('UpdateIntentRequest');

const ClassifyBody = z
  .strictObject({
    text: z.string().trim().min(1).max(2000),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi({ description: 'Local confidence needed to skip the LLM (default: the agent’s, else 0.7)' }),
  })
  .openapi('ClassifyIntentRequest');

const Classification = z
  .object({
    intent: z.string().openapi({ description: 'An intent name, or "none"' }),
    confidence: z.number().nullable(),
    source: z.enum(['local', 'llm']),
    local: z.object({ intent: z.string(), confidence: z.number() }),
    llmError: z.string().optional(),
  })
  .openapi('IntentClassification');

const tags = ['intents'];

const list = createRoute({
  method: 'get',
  path: '/v1/agents/{id}/intents',
  tags,
  summary: "List an agent's intents",
  security,
  request: { params: agentParam },
  responses: {
    200: jsonResponse('Intents, by name', z.object({ data: z.array(IntentSchema) })),
    ...standardErrors,
  },
});

const create = createRoute({
  method: 'post',
  path: '/v1/agents/{id}/intents',
  tags,
  summary: `Add an intent to an agent (at most ${MAX_INTENTS_PER_AGENT})`,
  security,
  request: { params: agentParam, ...jsonBody(CreateBody) },
  responses: { 201: jsonResponse('The intent', IntentSchema), ...standardErrors },
});

const classify = createRoute({
  method: 'post',
  path: '/v1/agents/{id}/intents/classify',
  tags,
  summary: "Classify a text into one of the agent's intents (local classifier, then the agent's LLM)",
  security,
  request: { params: agentParam, ...jsonBody(ClassifyBody) },
  responses: { 200: jsonResponse('The classification', Classification), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/intents/{id}',
  tags,
  summary: 'Get an intent',
  security,
  request: { params: intentParam },
  responses: { 200: jsonResponse('The intent', IntentSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/intents/{id}',
  tags,
  summary: 'Update an intent',
  security,
  request: { params: intentParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The intent', IntentSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/intents/{id}',
  tags,
  summary: 'Delete an intent',
  security,
  request: { params: intentParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

/** An agent's intents (`/v1/agents/{id}/intents`, `/v1/intents/{id}`) and classification. */
export function registerIntentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json({ data: await c.get('services').intents.list(requestContextOf(c), c.req.valid('param').id) }, 200),
  );
  app.openapi(create, async (c) => {
    const intent = await c
      .get('services')
      .intents.create(requestContextOf(c), c.req.valid('param').id, c.req.valid('json'));
    c.header('Location', `/v1/intents/${intent.id}`);
    return c.json(intent, 201);
  });
  app.openapi(classify, async (c) => {
    const services = c.get('services');
    const context = requestContextOf(c);
    const agent = await services.agents.get(context, c.req.valid('param').id);
    const { text, threshold } = c.req.valid('json');
    return c.json(await services.intentClassifier.classify(context, agent, text, { threshold }), 200);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').intents.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .intents.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').intents.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
}
