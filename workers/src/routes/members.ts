import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  idParam,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  page,
  RoleSchema,
  security,
  standardErrors,
} from '../schemas.ts';

export const MemberSchema = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: RoleSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Member');

const InviteBody = z
  .strictObject({
    email: z.string().trim().email().max(320),
    role: RoleSchema,
    name: z.string().trim().min(1).max(200).optional(),
    password: z.string().min(12).max(1024).optional(),
  })
  .openapi('InviteMemberRequest');

const userParam = idParam('usr', 'userId');

const list = createRoute({
  method: 'get',
  path: '/v1/members',
  tags: ['members'],
  summary: 'List the tenant’s members',
  security,
  request: { query: PaginationQuery.extend({ role: RoleSchema.optional() }) },
  responses: { 200: jsonResponse('Members', page(MemberSchema)), ...standardErrors },
});

const invite = createRoute({
  method: 'post',
  path: '/v1/members',
  tags: ['members'],
  summary: 'Invite a user (created when new) with a role',
  security,
  request: jsonBody(InviteBody),
  responses: {
    201: jsonResponse(
      'The new member; a temporary password is returned once for a new account without one',
      z.object({ member: MemberSchema, temporaryPassword: z.string().optional() }),
    ),
    ...standardErrors,
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/members/{userId}',
  tags: ['members'],
  summary: 'Get a member',
  security,
  request: { params: userParam },
  responses: { 200: jsonResponse('Member', MemberSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/members/{userId}',
  tags: ['members'],
  summary: 'Change a member’s role',
  security,
  request: { params: userParam, ...jsonBody(z.strictObject({ role: RoleSchema })) },
  responses: { 200: jsonResponse('Member', MemberSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/members/{userId}',
  tags: ['members'],
  summary: 'Remove a member from the tenant',
  security,
  request: { params: userParam },
  responses: { 204: { description: 'Removed' }, ...standardErrors },
});

export function registerMemberRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(await c.get('services').members.list(requestContextOf(c), c.req.valid('query')), 200),
  );
  app.openapi(invite, async (c) =>
    c.json(await c.get('services').members.invite(requestContextOf(c), c.req.valid('json')), 201),
  );
  app.openapi(get, async (c) =>
    c.json(await c.get('services').members.get(requestContextOf(c), c.req.valid('param').userId), 200),
  );
  app.openapi(update, async (c) =>
    c.json(
      await c
        .get('services')
        .members.changeRole(requestContextOf(c), c.req.valid('param').userId, c.req.valid('json').role),
      200,
    ),
  );
  app.openapi(remove, async (c) => {
    await c.get('services').members.remove(requestContextOf(c), c.req.valid('param').userId);
    return c.body(null, 204);
  });
}
