import { AppError, type RequestContext } from '@lumay/shared';
import type { Context } from 'hono';
import type { AppEnv, Principal } from './env.ts';

/** The authenticated principal; routes behind `authorize()` always have one. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new AppError('unauthorized', 'Authentication required');
  return principal;
}

/** The tenant-scoped context that services, RLS and audit rows are keyed on. */
export function requestContextOf(c: Context<AppEnv>): RequestContext {
  const principal = principalOf(c);
  return {
    tenantId: principal.tenantId,
    actor:
      principal.kind === 'user'
        ? { type: 'user', id: principal.userId }
        : { type: 'api_key', id: principal.keyId },
    role: principal.role,
    requestId: c.get('requestId'),
    ip: c.get('clientIp'),
  };
}
