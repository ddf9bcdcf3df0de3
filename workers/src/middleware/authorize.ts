import {
  AppError,
  authenticateApiKey,
  currentMembership,
  looksLikeApiKey,
  permissionsFor,
} from '@lumay/shared';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { AppEnv, Principal } from '../env.ts';
import { ROUTE_PERMISSIONS } from '../permissions.ts';

/** The `METHOD path` key of the handler this request was routed to, or undefined for a 404. */
export function routeKey(c: Context<AppEnv>): string | undefined {
  const handler = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  return handler ? `${handler.method} ${handler.path}` : undefined;
}

function bearerToken(c: Context<AppEnv>): string {
  const header = c.req.header('authorization');
  if (!header) throw new AppError('unauthorized', 'Missing Authorization header (expected "Bearer <token>")');
  const match = /^Bearer\s+([^\s]+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AppError('unauthorized', 'Authorization header must be "Bearer <token>"');
  return match[1];
}

async function authenticate(c: Context<AppEnv>): Promise<Principal> {
  const token = bearerToken(c);
  const services = c.get('services');
  if (looksLikeApiKey(token)) {
    const key = await authenticateApiKey(services.deps.db, token, services.deps.cache);
    if (!key) throw new AppError('unauthorized', 'API key is invalid, expired or revoked');
    return {
      kind: 'api_key',
      userId: null,
      keyId: key.keyId,
      tenantId: key.tenantId,
      role: key.role,
      isPlatformAdmin: false,
      permissions: permissionsFor(key.role, false),
    };
  }
  const claims = await services.deps.tokens.verifyAccessToken(token);
  // The token proves identity; the role comes from the membership as it is now, so a demotion or
  // removal applies to the very next request rather than when the token expires.
  const membership = await currentMembership(
    services.deps.db,
    services.deps.cache,
    claims.tenantId,
    claims.userId,
  );
  if (!membership) {
    throw new AppError('unauthorized', 'This account is no longer a member of the tenant; log in again');
  }
  return {
    kind: 'user',
    userId: claims.userId,
    keyId: null,
    tenantId: claims.tenantId,
    role: membership.role,
    isPlatformAdmin: membership.isPlatformAdmin,
    permissions: permissionsFor(membership.role, membership.isPlatformAdmin),
  };
}

/**
 * Enforces ROUTE_PERMISSIONS for every routed request: public routes pass, everything else needs a
 * valid bearer (401) holding the declared permission (403). A route without a declaration fails
 * closed. Unrouted requests fall through to the 404 handler.
 *
 * @example app.use('*', authorize())
 */
export function authorize() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = routeKey(c);
    if (!key) return next();
    const access = ROUTE_PERMISSIONS[key];
    if (access === undefined) {
      throw new Error(`Route "${key}" has no permission declaration in ROUTE_PERMISSIONS`);
    }
    if (access === 'public') return next();
    const principal = await authenticate(c);
    c.set('principal', principal);
    if (access !== 'authenticated' && !principal.permissions.has(access)) {
      throw new AppError('forbidden', `This action needs the "${access}" permission`);
    }
    return next();
  });
}
