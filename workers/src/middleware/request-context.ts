import { newId } from '@lumay/shared';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware: assigns the request id (a caller's well-formed `X-Request-Id` is kept so traces
 * join up), echoes it on every response, resolves the client IP and injects the services.
 *
 * @example app.use('*', requestContext(services))
 */
export function requestContext(services: Services) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : newId('request');
    c.set('requestId', requestId);
    c.set('services', services);
    c.set('principal', undefined);
    let ip: string | null = null;
    try {
      ip = services.deps.clientIp(c.req.raw, c.env);
    } catch {
      ip = null;
    }
    c.set('clientIp', ip);
    c.header('X-Request-Id', requestId);
    await next();
    c.header('X-Request-Id', requestId);
  });
}
