import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { normalizePhone, PHONE_NUMBER_MODES, PHONE_NUMBER_STATUSES } from '@lumay/shared';
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

/** A phone number in E.164 form; spaces, dots, dashes and parentheses are accepted and removed. */
export const PhoneSchema = z
  .string()
  .max(40)
  .refine(
    (value) => normalizePhone(value) !== null,
    'must be a phone number in E.164 form, such as +15550100000',
  )
  .openapi({ example: '+15550100000' });

/** An agent id in a body or a query. */
export const AgentIdSchema = z.string().regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an agent id (agt_…)');

export const PhoneNumberSchema = z
  .object({
    id: z.string(),
    number: z.string(),
    agentId: z.string(),
    mode: z.enum(PHONE_NUMBER_MODES),
    label: z.string().nullable(),
    status: z.enum(PHONE_NUMBER_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('PhoneNumber');

const fields = {
  agentId: AgentIdSchema,
  mode: z.enum(PHONE_NUMBER_MODES).openapi({
    description: 'media_stream: raw audio over Twilio Media Streams; conversation_relay: Twilio does STT/TTS',
  }),
  label: z.string().trim().min(1).max(200).nullable(),
  status: z.enum(PHONE_NUMBER_STATUSES).openapi({ description: 'disabled numbers are not answered' }),
};

const CreateBody = z
  .strictObject({
    number: PhoneSchema,
    agentId: fields.agentId,
    mode: fields.mode.optional(),
    label: fields.label.optional(),
    status: fields.status.optional(),
  })
  .openapi('CreatePhoneNumberRequest');

const UpdateBody = z
  .strictObject({
    agentId: fields.agentId.optional(),
    mode: fields.mode.optional(),
    label: fields.label.optional(),
    status: fields.status.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change is required')
  .openapi('UpdatePhoneNumberRequest');

const phoneNumberParam = idParam('phn');

const list = createRoute({
  method: 'get',
  path: '/v1/phone-numbers',
  tags: ['phone-numbers'],
  summary: 'List phone numbers, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      agentId: AgentIdSchema.optional(),
      status: z.enum(PHONE_NUMBER_STATUSES).optional(),
    }),
  },
  responses: { 200: jsonResponse('Phone numbers', page(PhoneNumberSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/phone-numbers',
  tags: ['phone-numbers'],
  summary: 'Route a number of the platform Twilio account to an agent (409 if it is registered already)',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The phone number', PhoneNumberSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/phone-numbers/{id}',
  tags: ['phone-numbers'],
  summary: 'Get a phone number',
  security,
  request: { params: phoneNumberParam },
  responses: { 200: jsonResponse('The phone number', PhoneNumberSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/phone-numbers/{id}',
  tags: ['phone-numbers'],
  summary: 'Change the agent, mode, label or status of a phone number',
  security,
  request: { params: phoneNumberParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The phone number', PhoneNumberSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/phone-numbers/{id}',
  tags: ['phone-numbers'],
  summary: 'Release a phone number (its calls stay as history)',
  security,
  request: { params: phoneNumberParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

/** Phone numbers: which agent answers which number, and how. */
export function registerPhoneNumberRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').phoneNumbers.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const number = await c.get('services').phoneNumbers.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/phone-numbers/${number.id}`);
    return c.json(number, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').phoneNumbers.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .phoneNumbers.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').phoneNumbers.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
}
