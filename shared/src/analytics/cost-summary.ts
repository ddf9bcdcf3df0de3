import { and, gte, lt, sql } from 'drizzle-orm';
import type { RequestContext } from '../governance/index.ts';
import { type Database, tables } from '../platform/index.ts';
import { isPriced } from './prices.ts';

/** How cost is grouped. */
export type CostGroupBy = 'agent' | 'model' | 'day';

/** Filters of a cost summary: `[from, to)`. */
export interface CostSummaryQuery {
  from: Date;
  to: Date;
  groupBy: CostGroupBy;
}

/** Tokens, calls and money of a set of model calls. */
export interface CostTotals {
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One group: its key (agent id, `provider/model` or `YYYY-MM-DD`) and totals. */
export interface CostGroup extends CostTotals {
  key: string;
  agentId?: string | null;
  provider?: string;
  model?: string;
  day?: string;
}

/** A tenant's model spend over a period. */
export interface CostSummary {
  from: string;
  to: string;
  groupBy: CostGroupBy;
  totals: CostTotals;
  groups: CostGroup[];
  /** Calls of models the price table had no price for (counted at 0 USD). */
  unpriced: {
    calls: number;
    models: { provider: string; model: string; priceVersion: string; calls: number }[];
  };
}

const round = (value: number) => Math.round(value * 1e8) / 1e8;

function totalsOf(row: {
  calls: unknown;
  failed: unknown;
  input: unknown;
  output: unknown;
  cost: unknown;
}): CostTotals {
  return {
    calls: Number(row.calls ?? 0),
    failedCalls: Number(row.failed ?? 0),
    inputTokens: Number(row.input ?? 0),
    outputTokens: Number(row.output ?? 0),
    costUsd: round(Number(row.cost ?? 0)),
  };
}

/**
 * Cost summaries over `model_calls`, summed in the database (numeric, so no float drift), within
 * the tenant's RLS scope.
 */
export function createCostService(db: Database) {
  const calls = tables.modelCalls;
  const measures = {
    calls: sql<string>`count(*)`,
    failed: sql<string>`count(*) filter (where ${calls.outcome} <> 'success')`,
    input: sql<string>`coalesce(sum(${calls.inputTokens}), 0)`,
    output: sql<string>`coalesce(sum(${calls.outputTokens}), 0)`,
    cost: sql<string>`coalesce(sum(${calls.costUsd}), 0)`,
  };

  return {
    async summarize(context: RequestContext, query: CostSummaryQuery): Promise<CostSummary> {
      const scope = {
        tenantId: context.tenantId,
        userId: context.actor.type === 'user' ? context.actor.id : null,
      };
      return db.withTenant(scope, async (tx) => {
        const within = and(gte(calls.createdAt, query.from), lt(calls.createdAt, query.to));
        const [total] = await tx.select(measures).from(calls).where(within);
        const day = sql<string>`to_char(${calls.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
        let groups: CostGroup[];
        if (query.groupBy === 'agent') {
          const rows = await tx
            .select({ agentId: calls.agentId, ...measures })
            .from(calls)
            .where(within)
            .groupBy(calls.agentId)
            .orderBy(sql`sum(${calls.costUsd}) desc`, calls.agentId);
          groups = rows.map((row) => ({
            key: row.agentId ?? '(none)',
            agentId: row.agentId,
            ...totalsOf(row),
          }));
        } else if (query.groupBy === 'model') {
          const rows = await tx
            .select({ provider: calls.provider, model: calls.model, ...measures })
            .from(calls)
            .where(within)
            .groupBy(calls.provider, calls.model)
            .orderBy(sql`sum(${calls.costUsd}) desc`, calls.provider, calls.model);
          groups = rows.map((row) => ({
            key: `${row.provider}/${row.model}`,
            provider: row.provider,
            model: row.model,
            ...totalsOf(row),
          }));
        } else {
          const rows = await tx
            .select({ day, ...measures })
            .from(calls)
            .where(within)
            .groupBy(day)
            .orderBy(day);
          groups = rows.map((row) => ({ key: row.day, day: row.day, ...totalsOf(row) }));
        }
        const priced = await tx
          .select({
            provider: calls.provider,
            model: calls.model,
            priceVersion: calls.priceVersion,
            calls: sql<string>`count(*)`,
          })
          .from(calls)
          .where(within)
          .groupBy(calls.provider, calls.model, calls.priceVersion);
        const unpricedModels = priced
          .filter((row) => !isPriced(row.provider, row.model, row.priceVersion))
          .map((row) => ({ ...row, calls: Number(row.calls) }));
        return {
          from: query.from.toISOString(),
          to: query.to.toISOString(),
          groupBy: query.groupBy,
          totals: totalsOf(total ?? { calls: 0, failed: 0, input: 0, output: 0, cost: 0 }),
          groups,
          unpriced: {
            calls: unpricedModels.reduce((sum, row) => sum + row.calls, 0),
            models: unpricedModels,
          },
        };
      });
    },
  };
}

export type CostService = ReturnType<typeof createCostService>;
