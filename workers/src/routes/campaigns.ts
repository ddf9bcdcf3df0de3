import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { CAMPAIGN_STATUSES, CONTACT_STATUSES, isTimeZone, MAX_CONTACTS_PER_REQUEST } from '@lumay/shared';
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

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time such as "09:00"');

const WindowSchema = z
  .strictObject({
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"')
      .openapi({ example: 'America/New_York' }),
    days: z
      .array(z.number().int().min(0).max(6))
      .min(1)
      .max(7)
      .openapi({ description: 'Local weekdays: 0 = Sunday … 6 = Saturday' }),
    start: Time,
    end: Time.openapi({
      description: 'Earlier than start: the window runs past midnight; equal to start: the whole day',
    }),
  })
  .openapi('CampaignWindow');

const PacingSchema = z
  .strictObject({
    callsPerMinute: z.number().int().min(1).max(600),
    maxConcurrent: z.number().int().min(1).max(500),
  })
  .openapi('CampaignPacing');

const RetrySchema = z
  .strictObject({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .openapi({ description: 'Calls per contact, the first included' }),
    backoffMinutes: z.number().int().min(1).max(10_080),
  })
  .openapi('CampaignRetry');

export const CampaignSchema = z
  .object({
    id: z.string(),
    agentId: z.string(),
    name: z.string(),
    fromNumber: z.string(),
    status: z.enum(CAMPAIGN_STATUSES),
    window: WindowSchema,
    pacing: PacingSchema,
    retry: RetrySchema,
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Campaign');

const CampaignDetailsSchema = CampaignSchema.extend({
  contacts: z
    .record(z.enum(CONTACT_STATUSES), z.number().int())
    .openapi({ description: 'Contacts by status' }),
}).openapi('CampaignWithCounts');

const ContactSchema = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    phone: z.string(),
    name: z.string().nullable(),
    variables: z.record(z.string(), z.string()),
    status: z.enum(CONTACT_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastCallId: z.string().nullable(),
    lastResult: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CampaignContact');

const Variables = z
  .record(z.string().min(1).max(64), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'variables may hold at most 50 keys');

const fields = {
  name: z.string().trim().min(1).max(200),
  agentId: AgentIdSchema,
  fromNumber: PhoneSchema.openapi({ description: 'The caller id: an active phone number of this tenant' }),
  window: WindowSchema,
  pacing: PacingSchema,
  retry: RetrySchema,
};

const CreateBody = z
  .strictObject({
    name: fields.name,
    agentId: fields.agentId,
    fromNumber: fields.fromNumber,
    window: fields.window.optional().openapi({ description: 'Default: weekdays 09:00–17:00 UTC' }),
    pacing: fields.pacing.optional().openapi({ description: 'Default: 10 calls a minute, 5 at once' }),
    retry: fields.retry.optional().openapi({ description: 'Default: 3 attempts, 60 minutes apart' }),
  })
  .openapi('CreateCampaignRequest');

const UpdateBody = z
  .strictObject({
    name: fields.name.optional(),
    agentId: fields.agentId.optional(),
    fromNumber: fields.fromNumber.optional(),
    window: fields.window.optional(),
    pacing: fields.pacing.optional(),
    retry: fields.retry.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field to change is required')
  .openapi('UpdateCampaignRequest');

const ContactsBody = z
  .strictObject({
    contacts: z
      .array(
        z.strictObject({
          phone: z
            .string()
            .min(1)
            .max(40)
            .openapi({ description: 'E.164; invalid numbers are reported, not fatal' }),
          name: z.string().trim().min(1).max(200).nullable().optional(),
          variables: Variables.optional(),
        }),
      )
      .min(1)
      .max(MAX_CONTACTS_PER_REQUEST),
  })
  .openapi('AddCampaignContactsRequest');

const AddContactsResponse = z
  .object({
    added: z.number().int(),
    rejected: z.array(
      z.object({
        index: z.number().int(),
        phone: z.string(),
        reason: z.enum(['invalid_phone', 'duplicate_in_request', 'already_in_campaign']),
      }),
    ),
  })
  .openapi('AddCampaignContactsResponse');

const TransitionBody = z.strictObject({}).openapi('CampaignTransitionRequest');

const campaignParam = idParam('cmp');

const list = createRoute({
  method: 'get',
  path: '/v1/campaigns',
  tags: ['campaigns'],
  summary: 'List campaigns, newest first',
  security,
  request: {
    query: PaginationQuery.extend({
      status: z.enum(CAMPAIGN_STATUSES).optional(),
      agentId: AgentIdSchema.optional(),
    }),
  },
  responses: { 200: jsonResponse('Campaigns', page(CampaignSchema)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/campaigns',
  tags: ['campaigns'],
  summary: 'Create a campaign (draft)',
  security,
  request: jsonBody(CreateBody),
  responses: { 201: jsonResponse('The campaign', CampaignSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/campaigns/{id}',
  tags: ['campaigns'],
  summary: 'Get a campaign with its contacts counted by status',
  security,
  request: { params: campaignParam },
  responses: { 200: jsonResponse('The campaign', CampaignDetailsSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/campaigns/{id}',
  tags: ['campaigns'],
  summary: 'Change a campaign (not a completed one); a running campaign uses the change on its next tick',
  security,
  request: { params: campaignParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The campaign', CampaignSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/campaigns/{id}',
  tags: ['campaigns'],
  summary: 'Delete a campaign that is not running, with its contacts (its calls stay)',
  security,
  request: { params: campaignParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

const addContacts = createRoute({
  method: 'post',
  path: '/v1/campaigns/{id}/contacts',
  tags: ['campaigns'],
  summary: `Add up to ${MAX_CONTACTS_PER_REQUEST} contacts; refused rows are reported with their reason`,
  security,
  request: { params: campaignParam, ...jsonBody(ContactsBody) },
  responses: { 200: jsonResponse('What was added and refused', AddContactsResponse), ...standardErrors },
});

const listContacts = createRoute({
  method: 'get',
  path: '/v1/campaigns/{id}/contacts',
  tags: ['campaigns'],
  summary: 'List a campaign’s contacts in the order they were added',
  security,
  request: {
    params: campaignParam,
    query: PaginationQuery.extend({ status: z.enum(CONTACT_STATUSES).optional() }),
  },
  responses: { 200: jsonResponse('Contacts', page(ContactSchema)), ...standardErrors },
});

const start = createRoute({
  method: 'post',
  path: '/v1/campaigns/{id}/start',
  tags: ['campaigns'],
  summary: 'Start (or resume) a draft or paused campaign; 409 from any other status',
  security,
  request: { params: campaignParam, ...jsonBody(TransitionBody) },
  responses: { 200: jsonResponse('The campaign', CampaignSchema), ...standardErrors },
});

const pause = createRoute({
  method: 'post',
  path: '/v1/campaigns/{id}/pause',
  tags: ['campaigns'],
  summary: 'Pause a running campaign (calls in flight finish); 409 from any other status',
  security,
  request: { params: campaignParam, ...jsonBody(TransitionBody) },
  responses: { 200: jsonResponse('The campaign', CampaignSchema), ...standardErrors },
});

/** Campaigns: outbound calling of a contact list in a time window, paced, with retries. */
export function registerCampaignRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').campaigns.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(create, async (c) => {
    const campaign = await c.get('services').campaigns.create(requestContextOf(c), c.req.valid('json'));
    c.header('Location', `/v1/campaigns/${campaign.id}`);
    return c.json(campaign, 201);
  });
  app.openapi(get, async (c) =>
    c.json(await c.get('services').campaigns.get(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .campaigns.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').campaigns.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(addContacts, async (c) =>
    c.json(
      await c
        .get('services')
        .campaigns.addContacts(requestContextOf(c), c.req.valid('param').id, c.req.valid('json').contacts),
      200,
    ),
  );
  app.openapi(listContacts, async (c) =>
    c.json(
      await c
        .get('services')
        .campaigns.listContacts(requestContextOf(c), c.req.valid('param').id, c.req.valid('query')),
      200,
    ),
  );
  app.openapi(start, async (c) =>
    c.json(await c.get('services').campaigns.start(requestContextOf(c), c.req.valid('param').id), 200),
  );
  app.openapi(pause, async (c) =>
    c.json(await c.get('services').campaigns.pause(requestContextOf(c), c.req.valid('param').id), 200),
  );
}
