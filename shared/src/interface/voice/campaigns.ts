import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { AppError, type Clock, newId, systemClock } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import { isTimeZone, minutesOf } from './campaign-window.ts';
import { scopeOf } from './context.ts';
import { resolveCallerNumber } from './outbound.ts';
import { requireAgent, requirePhone } from './phone-numbers.ts';
import {
  type CampaignDetails,
  type CampaignPacing,
  type CampaignRetry,
  type CampaignStatus,
  type CampaignView,
  type CampaignWindow,
  CONTACT_STATUSES,
  type ContactStatus,
  toCampaignView,
} from './views.ts';

export interface CampaignInput {
  name: string;
  agentId: string;
  /** The caller id: an active phone number of the tenant (E.164). */
  fromNumber: string;
  window?: CampaignWindow | undefined;
  pacing?: CampaignPacing | undefined;
  retry?: CampaignRetry | undefined;
}

export type CampaignPatch = Partial<CampaignInput>;

export interface CampaignFilters {
  limit: number;
  cursor?: string | undefined;
  status?: CampaignStatus | undefined;
  agentId?: string | undefined;
}

/** Weekdays 09:00–17:00 UTC, ten new calls a minute and five at once, three tries an hour apart. */
export const DEFAULT_CAMPAIGN_SETTINGS = {
  window: { timezone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
  pacing: { callsPerMinute: 10, maxConcurrent: 5 },
  retry: { maxAttempts: 3, backoffMinutes: 60 },
} as const satisfies { window: CampaignWindow; pacing: CampaignPacing; retry: CampaignRetry };

const invalid = (message: string) => new AppError('validation_failed', message);

/** Checks a window (the route's schema does too; the service does not trust its callers). */
export function checkWindow(window: CampaignWindow): CampaignWindow {
  if (!isTimeZone(window.timezone)) throw invalid(`window.timezone: unknown time zone "${window.timezone}"`);
  if (minutesOf(window.start) === null || minutesOf(window.end) === null) {
    throw invalid('window.start and window.end must be times such as "09:00"');
  }
  const days = [...new Set(window.days)].sort((left, right) => left - right);
  if (days.length === 0 || days.some((day) => !Number.isInteger(day) || day < 0 || day > 6)) {
    throw invalid('window.days must list weekdays 0 (Sunday) to 6 (Saturday)');
  }
  return { timezone: window.timezone, days, start: window.start, end: window.end };
}

function checkLimits(pacing: CampaignPacing, retry: CampaignRetry): void {
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!whole(pacing.callsPerMinute, 1, 600) || !whole(pacing.maxConcurrent, 1, 500)) {
    throw invalid('pacing.callsPerMinute must be 1–600 and pacing.maxConcurrent 1–500');
  }
  if (!whole(retry.maxAttempts, 1, 10) || !whole(retry.backoffMinutes, 1, 10_080)) {
    throw invalid('retry.maxAttempts must be 1–10 and retry.backoffMinutes 1–10080');
  }
}

export async function findCampaign(tx: Tx, id: string, lock = false) {
  const query = tx.select().from(tables.campaigns).where(eq(tables.campaigns.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found', 'Campaign not found');
  return row;
}

async function contactCounts(tx: Tx, campaignId: string): Promise<Record<ContactStatus, number>> {
  const counts = Object.fromEntries(CONTACT_STATUSES.map((status) => [status, 0])) as Record<
    ContactStatus,
    number
  >;
  const contacts = tables.campaignContacts;
  const rows = await tx
    .select({ status: contacts.status, count: sql<number>`count(*)::int` })
    .from(contacts)
    .where(eq(contacts.campaignId, campaignId))
    .groupBy(contacts.status);
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

/**
 * Campaigns: an agent calling a contact list from one of the tenant's numbers, inside a local time
 * window, paced, with retries. draft → running ⇄ paused → completed (when no contact is left); the
 * scheduler (`createCampaignScheduler`) places the calls. Every change is audited.
 */
export function createCampaignService(options: { db: Database; clock?: Clock }) {
  const { db } = options;
  const clock = options.clock ?? systemClock;

  async function transition(
    context: RequestContext,
    id: string,
    action: 'start' | 'pause',
  ): Promise<CampaignView> {
    return db.withTenant(scopeOf(context), async (tx) => {
      const before = await findCampaign(tx, id, true);
      const allowed: readonly CampaignStatus[] = action === 'start' ? ['draft', 'paused'] : ['running'];
      if (!allowed.includes(before.status)) {
        throw new AppError(
          'conflict',
          `A ${before.status} campaign cannot be ${action === 'start' ? 'started' : 'paused'}`,
        );
      }
      if (action === 'start') {
        await requireAgent(tx, before.agentId);
        await resolveCallerNumber(tx, before.agentId, before.fromNumber);
        const counts = await contactCounts(tx, id);
        if (counts.pending + counts.calling === 0) {
          throw new AppError('conflict', 'The campaign has no contacts left to call; add contacts first');
        }
      }
      const [row] = await tx
        .update(tables.campaigns)
        .set({ status: action === 'start' ? 'running' : 'paused', updatedAt: clock.now() })
        .where(eq(tables.campaigns.id, id))
        .returning();
      if (!row) throw new AppError('not_found', 'Campaign not found');
      await appendAudit(tx, context, {
        action: `campaign.${action}`,
        resourceType: 'campaign',
        resourceId: id,
        before: { status: before.status },
        after: { status: row.status },
      });
      return toCampaignView(row);
    });
  }

  return {
    async create(context: RequestContext, input: CampaignInput): Promise<CampaignView> {
      const fromNumber = requirePhone(input.fromNumber, 'fromNumber');
      const window = checkWindow(input.window ?? DEFAULT_CAMPAIGN_SETTINGS.window);
      const pacing = input.pacing ?? DEFAULT_CAMPAIGN_SETTINGS.pacing;
      const retry = input.retry ?? DEFAULT_CAMPAIGN_SETTINGS.retry;
      checkLimits(pacing, retry);
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, input.agentId);
        await resolveCallerNumber(tx, input.agentId, fromNumber);
        const now = clock.now();
        const [row] = await tx
          .insert(tables.campaigns)
          .values({
            id: newId('campaign'),
            tenantId: context.tenantId,
            agentId: input.agentId,
            name: input.name,
            fromNumber,
            window,
            pacing: { ...pacing },
            retry: { ...retry },
            createdBy: context.actor.id,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const view = toCampaignView(row);
        await appendAudit(tx, context, {
          action: 'campaign.create',
          resourceType: 'campaign',
          resourceId: view.id,
          after: view,
        });
        return view;
      });
    },

    /** A campaign with its contacts counted by status. */
    async get(context: RequestContext, id: string): Promise<CampaignDetails> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const row = await findCampaign(tx, id);
        return { ...toCampaignView(row), contacts: await contactCounts(tx, id) };
      });
    },

    async list(context: RequestContext, filters: CampaignFilters) {
      const campaigns = tables.campaigns;
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(campaigns)
          .where(
            and(
              eq(campaigns.tenantId, context.tenantId),
              filters.cursor ? lt(campaigns.id, filters.cursor) : undefined,
              filters.status ? eq(campaigns.status, filters.status) : undefined,
              filters.agentId ? eq(campaigns.agentId, filters.agentId) : undefined,
            ),
          )
          .orderBy(desc(campaigns.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toCampaignView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    /** Changes settings (also while running: the next tick uses them); a completed campaign is final. */
    async update(context: RequestContext, id: string, patch: CampaignPatch): Promise<CampaignView> {
      const fromNumber =
        patch.fromNumber === undefined ? undefined : requirePhone(patch.fromNumber, 'fromNumber');
      const window = patch.window === undefined ? undefined : checkWindow(patch.window);
      return db.withTenant(scopeOf(context), async (tx) => {
        const before = await findCampaign(tx, id, true);
        if (before.status === 'completed')
          throw new AppError('conflict', 'A completed campaign cannot be changed');
        checkLimits(patch.pacing ?? before.pacing, patch.retry ?? before.retry);
        const agentId = patch.agentId ?? before.agentId;
        if (patch.agentId !== undefined) await requireAgent(tx, agentId);
        if (fromNumber !== undefined) await resolveCallerNumber(tx, agentId, fromNumber);
        const [row] = await tx
          .update(tables.campaigns)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.agentId !== undefined ? { agentId } : {}),
            ...(fromNumber !== undefined ? { fromNumber } : {}),
            ...(window !== undefined ? { window } : {}),
            ...(patch.pacing !== undefined ? { pacing: { ...patch.pacing } } : {}),
            ...(patch.retry !== undefined ? { retry: { ...patch.retry } } : {}),
            updatedAt: clock.now(),
          })
          .where(eq(tables.campaigns.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Campaign not found');
        const after = toCampaignView(row);
        await appendAudit(tx, context, {
          action: 'campaign.update',
          resourceType: 'campaign',
          resourceId: id,
          before: toCampaignView(before),
          after,
        });
        return after;
      });
    },

    /** Deletes a campaign that is not running, with its contacts (its calls stay as history). */
    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        const before = await findCampaign(tx, id, true);
        if (before.status === 'running')
          throw new AppError('conflict', 'Pause the campaign before deleting it');
        await tx.delete(tables.campaigns).where(eq(tables.campaigns.id, id));
        await appendAudit(tx, context, {
          action: 'campaign.delete',
          resourceType: 'campaign',
          resourceId: id,
          before: toCampaignView(before),
        });
      });
    },

    /** draft or paused → running; needs a contact left to call, the agent and an active caller id. */
    start: (context: RequestContext, id: string) => transition(context, id, 'start'),

    /** running → paused: no new calls; calls in flight finish and settle their contacts. */
    pause: (context: RequestContext, id: string) => transition(context, id, 'pause'),
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;
