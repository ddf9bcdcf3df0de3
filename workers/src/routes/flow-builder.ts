import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { FLOW_TEMPLATES } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonBody, jsonResponse, security, standardErrors } from '../schemas.ts';
import { FlowDefinitionSchema, FlowFindingSchema, FlowWithFindingsSchema, flowFields } from './flows.ts';

const GenerateBody = z
  .strictObject({
    description: z.string().trim().min(3).max(4000).openapi({
      description: 'What the flow should do, in plain English',
      example: 'Greet, collect the email, look up the order, hand off if the customer is angry',
    }),
    agentId: flowFields.agentId.unwrap().optional().openapi({
      description:
        'The agent the flow is for: its configured models write the draft (else the offline builder)',
    }),
    name: flowFields.name.optional(),
    save: z
      .boolean()
      .optional()
      .openapi({ description: 'Also store the draft as a new flow (default false)' }),
  })
  .openapi('GenerateFlowRequest');

const GeneratedSchema = z
  .object({
    name: z.string(),
    agentId: z.string().nullable(),
    source: z.enum(['model', 'templates']),
    templates: z.array(z.enum(FLOW_TEMPLATES)),
    model: z.object({ provider: z.string(), modelId: z.string() }).nullable(),
    draft: FlowDefinitionSchema,
    valid: z.boolean(),
    findings: z.array(FlowFindingSchema),
    flow: FlowWithFindingsSchema.nullable(),
  })
  .openapi('GeneratedFlow');

const generate = createRoute({
  method: 'post',
  path: '/v1/flows/generate',
  tags: ['flows'],
  summary: 'Draft a flow from a plain-English description',
  security,
  request: jsonBody(GenerateBody),
  responses: {
    200: jsonResponse('The draft (not stored)', GeneratedSchema),
    201: jsonResponse('The draft, stored as a new flow (save: true)', GeneratedSchema),
    ...standardErrors,
  },
});

export function registerFlowBuilderRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(generate, async (c) => {
    const generated = await c.get('services').flowBuilder.generate(requestContextOf(c), c.req.valid('json'));
    if (generated.flow) {
      c.header('Location', `/v1/flows/${generated.flow.id}`);
      return c.json(generated, 201);
    }
    return c.json(generated, 200);
  });
}
