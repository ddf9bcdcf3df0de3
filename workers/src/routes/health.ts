import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { jsonResponse } from '../schemas.ts';

const HealthSchema = z.object({ status: z.string(), version: z.string() });
const ReadySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.string()),
});

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness: the process answers',
  responses: { 200: jsonResponse('Alive', HealthSchema) },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: the database is reachable',
  responses: { 200: jsonResponse('Ready', ReadySchema), 503: jsonResponse('Not ready', ReadySchema) },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthz, (c) => c.json({ status: 'ok', version: c.get('services').deps.version }, 200));
  app.openapi(readyz, async (c) => {
    try {
      await c.get('services').deps.db.ping();
      return c.json({ status: 'ready' as const, checks: { database: 'ok' } }, 200);
    } catch {
      return c.json({ status: 'unavailable' as const, checks: { database: 'unreachable' } }, 503);
    }
  });
}
