import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { principalOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonBody, jsonResponse, RoleSchema, security, standardErrors } from '../schemas.ts';

const TokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
    tenantId: z.string(),
    role: RoleSchema,
  })
  .openapi('SessionTokens');

const LoginBody = z
  .strictObject({
    email: z.string().trim().email().max(320),
    password: z.string().min(1).max(1024),
    tenantId: z
      .string()
      .regex(/^ten_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a tenant id')
      .optional(),
  })
  .openapi('LoginRequest');

const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) }).openapi('RefreshRequest');

const login = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Log in with email and password',
  request: jsonBody(LoginBody),
  responses: { 200: jsonResponse('Session tokens', TokensSchema), ...standardErrors },
});

const refresh = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Rotate a refresh token (single use; reuse revokes the session)',
  request: jsonBody(RefreshBody),
  responses: { 200: jsonResponse('New session tokens', TokensSchema), ...standardErrors },
});

const logout = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'Revoke the session a refresh token belongs to',
  request: jsonBody(RefreshBody),
  responses: { 204: { description: 'Logged out' }, ...standardErrors },
});

const me = createRoute({
  method: 'get',
  path: '/v1/auth/me',
  tags: ['auth'],
  summary: 'Who the bearer token belongs to',
  security,
  responses: {
    200: jsonResponse(
      'The caller',
      z.object({
        kind: z.enum(['user', 'api_key']),
        userId: z.string().nullable(),
        keyId: z.string().nullable(),
        tenantId: z.string(),
        role: RoleSchema,
        isPlatformAdmin: z.boolean(),
        permissions: z.array(z.string()),
      }),
    ),
    ...standardErrors,
  },
});

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(login, async (c) => {
    const body = c.req.valid('json');
    const tokens = await c
      .get('services')
      .sessions.login(body, { requestId: c.get('requestId'), ip: c.get('clientIp') });
    c.header('Cache-Control', 'no-store');
    return c.json(tokens, 200);
  });

  app.openapi(refresh, async (c) => {
    const { refreshToken } = c.req.valid('json');
    const tokens = await c
      .get('services')
      .sessions.refresh(refreshToken, { requestId: c.get('requestId'), ip: c.get('clientIp') });
    c.header('Cache-Control', 'no-store');
    return c.json(tokens, 200);
  });

  app.openapi(logout, async (c) => {
    const { refreshToken } = c.req.valid('json');
    await c
      .get('services')
      .sessions.logout(refreshToken, { requestId: c.get('requestId'), ip: c.get('clientIp') });
    return c.body(null, 204);
  });

  app.openapi(me, (c) => {
    const principal = principalOf(c);
    return c.json({ ...principal, permissions: [...principal.permissions].sort() }, 200);
  });
}
