import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { AppError, PRICE_TABLE_VERSION } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import { jsonResponse, security, standardErrors } from '../schemas.ts';

const DAY_MS = 86_400_000;
const DEFAULT_RANGE_DAYS = 30;
const MAX_RANGE_DAYS = 366;

/** A date (`2026-11-01`, midnight UTC) or a date-time with an offset. */
const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time',
  })
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value));

const CostsQuery = z.strictObject({
  from: instant
    .optional()
    .openapi({ description: `Inclusive; default: ${DEFAULT_RANGE_DAYS} days before \`to\`` }),
  to: instant.optional().openapi({ description: 'Exclusive; default: now' }),
  groupBy: z.enum(['agent', 'model', 'day']).default('model'),
});

const Totals = {
  calls: z.number().int(),
  failedCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
};

const CostSummarySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['agent', 'model', 'day']),
    currentPriceVersion: z.string(),
    totals: z.object(Totals),
    groups: z.array(
      z.object({
        key: z.string(),
        agentId: z.string().nullable().optional(),
        provider: z.string().optional(),
        model: z.string().optional(),
        day: z.string().optional(),
        ...Totals,
      }),
    ),
    unpriced: z.object({
      calls: z.number().int(),
      models: z.array(
        z.object({
          provider: z.string(),
          model: z.string(),
          priceVersion: z.string(),
          calls: z.number().int(),
        }),
      ),
    }),
  })
  .openapi('CostSummary');

const summary = createRoute({
  method: 'get',
  path: '/v1/costs',
  tags: ['analytics'],
  summary: 'Model tokens and cost over a period, grouped by agent, model or day (UTC)',
  security,
  request: { query: CostsQuery },
  responses: { 200: jsonResponse('The summary', CostSummarySchema), ...standardErrors },
});

function queryError(message: string): AppError {
  return new AppError('validation_failed', `Invalid query: ${message}`, {
    details: { location: 'query', issues: [{ path: 'from', message, code: 'invalid_range' }] },
  });
}

/** `GET /v1/costs`: model tokens and cost over a period. */
export function registerCostRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(summary, async (c) => {
    const query = c.req.valid('query');
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw queryError('not a real date');
    if (from.getTime() >= to.getTime()) throw queryError('from must be before to');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
      throw queryError(`the range may span at most ${MAX_RANGE_DAYS} days`);
    }
    const result = await c
      .get('services')
      .costs.summarize(requestContextOf(c), { from, to, groupBy: query.groupBy });
    return c.json({ ...result, currentPriceVersion: PRICE_TABLE_VERSION }, 200);
  });
}
