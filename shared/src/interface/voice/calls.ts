import { and, desc, eq, getTableColumns, lt } from 'drizzle-orm';
import { type Clock, systemClock } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import { findCall } from './call-rows.ts';
import { scopeOf } from './context.ts';
import { insertOutboundCall, resolveCallerNumber } from './outbound.ts';
import { requireAgent, requirePhone } from './phone-numbers.ts';
import {
  type CallDetails,
  type CallDirection,
  type CallStatus,
  type CallView,
  toCallDetails,
  toCallView,
} from './views.ts';

export interface OutboundCallInput {
  agentId: string;
  /** E.164. */
  to: string;
  /** An active number of the tenant (E.164); default: the agent's first active number. */
  from?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface CallFilters {
  limit: number;
  cursor?: string | undefined;
  status?: CallStatus | undefined;
  direction?: CallDirection | undefined;
  agentId?: string | undefined;
  campaignId?: string | undefined;
}

/**
 * Calls as the management API shows them, and outbound calls requested through it: the call row
 * (`requested`) and the `outbound.call.requested` event commit together; the voice node dials.
 */
export function createCallService(options: { db: Database; clock?: Clock }) {
  const { db } = options;
  const clock = options.clock ?? systemClock;

  return {
    async createOutboundCall(context: RequestContext, input: OutboundCallInput): Promise<CallView> {
      const to = requirePhone(input.to, 'to');
      const from = input.from === undefined ? undefined : requirePhone(input.from, 'from');
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, input.agentId);
        const caller = await resolveCallerNumber(tx, input.agentId, from);
        const row = await insertOutboundCall(
          tx,
          context,
          { agentId: input.agentId, to, caller, metadata: input.metadata },
          clock.now(),
        );
        return toCallView(row);
      });
    },

    /** Calls, newest first, without their turns. */
    async list(context: RequestContext, filters: CallFilters) {
      const calls = tables.calls;
      const { turns: _turns, ...columns } = getTableColumns(calls);
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select(columns)
          .from(calls)
          .where(
            and(
              eq(calls.tenantId, context.tenantId),
              filters.cursor ? lt(calls.id, filters.cursor) : undefined,
              filters.status ? eq(calls.status, filters.status) : undefined,
              filters.direction ? eq(calls.direction, filters.direction) : undefined,
              filters.agentId ? eq(calls.agentId, filters.agentId) : undefined,
              filters.campaignId ? eq(calls.campaignId, filters.campaignId) : undefined,
            ),
          )
          .orderBy(desc(calls.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toCallView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    /** One call with its turns and the link to its transcript. */
    async get(context: RequestContext, id: string): Promise<CallDetails> {
      return db.withTenant(scopeOf(context), async (tx) => toCallDetails(await findCall(tx, id)));
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
