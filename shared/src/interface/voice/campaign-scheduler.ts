import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { type Clock, isAppError, systemClock } from '../../core/index.ts';
import { type AuditEntry, appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import { completeCampaignIfDone, endCall } from './call-lifecycle.ts';
import { isWithinWindow } from './campaign-window.ts';
import { scopeOf, voiceContext } from './context.ts';
import { type CallerNumber, insertOutboundCall, resolveCallerNumber } from './outbound.ts';
import { ACTIVE_CALL_STATUSES } from './views.ts';

type CampaignRow = typeof tables.campaigns.$inferSelect;

/** Campaign calls still requested, dialing or ringing after this long are given up (failed, timeout). */
export const DEFAULT_STALE_CALL_MS = 10 * 60_000;

export interface CampaignSchedulerOptions {
  db: Database;
  /** The tenants to look at (the composition root lists them through the owner connection). */
  tenantIds: () => Promise<readonly string[]>;
  clock?: Clock;
  intervalMs: number;
  staleCallMs?: number;
}

/**
 * What the voice node needs about the person it calls, in the call's metadata: the campaign and
 * contact ids, the contact's name and variables (`contact.<name>`), for the agent's flow.
 */
function contactMetadata(
  campaignId: string,
  contact: typeof tables.campaignContacts.$inferSelect,
): Record<string, string> {
  return {
    campaignId,
    contactId: contact.id,
    ...(contact.name ? { contactName: contact.name } : {}),
    ...Object.fromEntries(Object.entries(contact.variables).map(([key, value]) => [`contact.${key}`, value])),
  };
}

/** What one tick did. */
export interface CampaignTickReport {
  campaigns: number;
  callsRequested: number;
  completed: number;
  paused: number;
  staleCalls: number;
}

const emptyReport = (): CampaignTickReport => ({
  campaigns: 0,
  callsRequested: 0,
  completed: 0,
  paused: 0,
  staleCalls: 0,
});

async function appendAll(tx: Tx, context: RequestContext, entries: AuditEntry[]): Promise<void> {
  for (const entry of entries) await appendAudit(tx, context, entry);
}

/**
 * Places campaign calls. Each tick, per running campaign (one transaction each, the campaign row
 * locked SKIP LOCKED so concurrent schedulers never share a campaign): gives up stale calls, completes
 * the campaign when no contact is left, and, inside the campaign's local time window, requests calls
 * for due contacts (pending, or a retry whose backoff has passed; locked SKIP LOCKED) within the pacing
 * budget: `callsPerMinute` minus calls requested in the last minute, `maxConcurrent` minus calls in
 * flight. Calls go through the same path as `POST /v1/calls`. Row locks come before the audit lock.
 *
 * @example
 * const scheduler = createCampaignScheduler({ db, tenantIds: () => listTenants(), intervalMs: 5_000 });
 * scheduler.start();
 */
export function createCampaignScheduler(options: CampaignSchedulerOptions) {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const staleCallMs = options.staleCallMs ?? DEFAULT_STALE_CALL_MS;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<unknown> | undefined;

  /** Campaign calls stuck before the answer (the voice node never reported): failed, reason timeout. */
  async function giveUpStaleCalls(
    tx: Tx,
    campaignId: string,
    now: Date,
  ): Promise<{ count: number; audits: AuditEntry[] }> {
    const calls = tables.calls;
    const stale = await tx
      .select()
      .from(calls)
      .where(
        and(
          eq(calls.campaignId, campaignId),
          inArray(calls.status, ['requested', 'dialing', 'ringing']),
          lte(calls.createdAt, new Date(now.getTime() - staleCallMs)),
        ),
      )
      .for('update', { skipLocked: true });
    const audits: AuditEntry[] = [];
    for (const row of stale) {
      const ended = await endCall(tx, row, { status: 'failed', endReason: 'timeout' }, now);
      audits.push(
        {
          action: 'call.finish',
          resourceType: 'call',
          resourceId: row.id,
          before: { status: row.status },
          after: { status: 'failed', endReason: ended.row.endReason },
        },
        ...ended.audits,
      );
    }
    return { count: stale.length, audits };
  }

  /** The caller id, or null when the campaign can no longer call (agent or number gone): it pauses. */
  async function usableCaller(tx: Tx, campaign: CampaignRow): Promise<CallerNumber | null> {
    const [agent] = await tx
      .select({ id: tables.agents.id })
      .from(tables.agents)
      .where(eq(tables.agents.id, campaign.agentId));
    if (!agent) return null;
    try {
      return await resolveCallerNumber(tx, campaign.agentId, campaign.fromNumber);
    } catch (error) {
      if (isAppError(error)) return null;
      throw error;
    }
  }

  async function budget(tx: Tx, campaign: CampaignRow, now: Date): Promise<number> {
    const calls = tables.calls;
    const [counts] = await tx
      .select({
        recent: sql<number>`count(*) filter (where ${calls.createdAt} > ${new Date(now.getTime() - 60_000).toISOString()}::timestamptz)::int`,
        active: sql<number>`count(*) filter (where ${inArray(calls.status, [...ACTIVE_CALL_STATUSES])})::int`,
      })
      .from(calls)
      .where(eq(calls.campaignId, campaign.id));
    const recent = Number(counts?.recent ?? 0);
    const active = Number(counts?.active ?? 0);
    return Math.max(
      0,
      Math.min(campaign.pacing.callsPerMinute - recent, campaign.pacing.maxConcurrent - active),
    );
  }

  async function tickCampaign(tenantId: string, campaignId: string, now: Date, report: CampaignTickReport) {
    const context = voiceContext(tenantId, 'sys_campaign-scheduler', 'campaign-scheduler');
    await db.withTenant(scopeOf(context), async (tx) => {
      const [campaign] = await tx
        .select()
        .from(tables.campaigns)
        .where(and(eq(tables.campaigns.id, campaignId), eq(tables.campaigns.status, 'running')))
        .for('update', { skipLocked: true });
      if (!campaign) return;
      report.campaigns += 1;
      const stale = await giveUpStaleCalls(tx, campaign.id, now);
      report.staleCalls += stale.count;
      const audits = [...stale.audits];
      // Settling a stale call may already have completed the campaign.
      const completedByStale = audits.some((entry) => entry.action === 'campaign.complete');
      const completion = completedByStale ? [] : await completeCampaignIfDone(tx, campaign.id, now);
      if (completedByStale || completion.length > 0) {
        report.completed += 1;
        await appendAll(tx, context, [...audits, ...completion]);
        return;
      }
      if (!isWithinWindow(campaign.window, now)) {
        await appendAll(tx, context, audits);
        return;
      }
      const caller = await usableCaller(tx, campaign);
      if (!caller) {
        await tx
          .update(tables.campaigns)
          .set({ status: 'paused', updatedAt: now })
          .where(eq(tables.campaigns.id, campaign.id));
        report.paused += 1;
        await appendAll(tx, context, [
          ...audits,
          {
            action: 'campaign.pause',
            resourceType: 'campaign',
            resourceId: campaign.id,
            before: { status: 'running' },
            after: { status: 'paused', reason: 'the agent or the caller id number is no longer available' },
          },
        ]);
        return;
      }
      const slots = await budget(tx, campaign, now);
      const contacts = tables.campaignContacts;
      const due =
        slots > 0
          ? await tx
              .select()
              .from(contacts)
              .where(
                and(
                  eq(contacts.campaignId, campaign.id),
                  eq(contacts.status, 'pending'),
                  or(isNull(contacts.nextAttemptAt), lte(contacts.nextAttemptAt, now)),
                ),
              )
              .orderBy(asc(sql`coalesce(${contacts.nextAttemptAt}, ${contacts.createdAt})`), asc(contacts.id))
              .limit(slots)
              .for('update', { skipLocked: true })
          : [];
      // Row locks are all taken; from here on the audit lock may be taken too.
      await appendAll(tx, context, audits);
      for (const contact of due) {
        const call = await insertOutboundCall(
          tx,
          context,
          {
            agentId: campaign.agentId,
            to: contact.phone,
            caller,
            metadata: contactMetadata(campaign.id, contact),
            campaignId: campaign.id,
            campaignContactId: contact.id,
          },
          now,
        );
        await tx
          .update(contacts)
          .set({
            status: 'calling',
            attempts: contact.attempts + 1,
            nextAttemptAt: null,
            lastCallId: call.id,
            updatedAt: now,
          })
          .where(eq(contacts.id, contact.id));
        report.callsRequested += 1;
      }
    });
  }

  /** One pass over every tenant's running campaigns at `now`. */
  async function tick(now: Date = clock.now()): Promise<CampaignTickReport> {
    const report = emptyReport();
    for (const tenantId of await options.tenantIds()) {
      const context = voiceContext(tenantId, 'sys_campaign-scheduler', 'campaign-scheduler');
      const ids = await db.withTenant(scopeOf(context), async (tx) =>
        tx
          .select({ id: tables.campaigns.id })
          .from(tables.campaigns)
          .where(eq(tables.campaigns.status, 'running'))
          .orderBy(asc(tables.campaigns.id)),
      );
      for (const { id } of ids) {
        try {
          await tickCampaign(tenantId, id, now, report);
        } catch (error) {
          // One broken campaign must not stop the others.
          console.error(
            JSON.stringify({
              level: 'error',
              message: 'campaign tick failed',
              tenantId,
              campaignId: id,
              error: String(error),
            }),
          );
        }
      }
    }
    return report;
  }

  return {
    tick,
    start(): void {
      timer ??= setInterval(() => {
        if (running) return;
        running = tick()
          .catch((error: unknown) =>
            console.error(
              JSON.stringify({ level: 'error', message: 'campaign scheduler failed', error: String(error) }),
            ),
          )
          .finally(() => {
            running = undefined;
          });
      }, options.intervalMs);
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type CampaignScheduler = ReturnType<typeof createCampaignScheduler>;
