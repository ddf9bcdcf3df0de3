import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ROLE_PERMISSIONS, ROLES } from '@lumay/shared';
import type { AppEnv } from '../env.ts';
import { jsonResponse, RoleSchema, security, standardErrors } from '../schemas.ts';

const list = createRoute({
  method: 'get',
  path: '/v1/roles',
  tags: ['roles'],
  summary: 'The roles and the permissions each holds',
  security,
  responses: {
    200: jsonResponse(
      'Roles',
      z.object({ data: z.array(z.object({ name: RoleSchema, permissions: z.array(z.string()) })) }),
    ),
    ...standardErrors,
  },
});

export function registerRoleRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, (c) =>
    c.json({ data: ROLES.map((name) => ({ name, permissions: [...ROLE_PERMISSIONS[name]] })) }, 200),
  );
}
