import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AuditEntry } from '../../governance/index.ts';
import { type Tx, tables } from '../../platform/index.ts';
import type { CallStatus, TerminalCallStatus } from './views.ts';

type CallRow = typeof tables.calls.$inferSelect;
type ContactRow = typeof tables.campaignContacts.$inferSelect;

/** Twilio's call statuses, as status callbacks name them. */
export const TWILIO_CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

const FROM_TWILIO: Readonly<Record<TwilioCallStatus, CallStatus>> = {
  queued: 'dialing',
  initiated: 'dialing',
  ringing: 'ringing',
  'in-progress': 'in_progress',
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  'no-answer': 'no_answer',
  canceled: 'canceled',
};

/** Our status for a Twilio status. */
export function fromTwilioStatus(status: TwilioCallStatus): CallStatus {
  return FROM_TWILIO[status];
}

/** Statuses only move forward: a late "ringing" never undoes "in_progress", nothing leaves an end. */
const RANK: Readonly<Record<CallStatus, number>> = {
  requested: 0,
  dialing: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  busy: 4,
  no_answer: 4,
  failed: 4,
  canceled: 4,
};

export function isTerminal(status: CallStatus): status is TerminalCallStatus {
  return RANK[status] === 4;
}

/** Whether a call in `current` may move to `next`. */
export function advances(current: CallStatus, next: CallStatus): boolean {
  return RANK[next] > RANK[current];
}

/** The end reason a terminal status implies when nobody said otherwise (null: the voice node says). */
export function impliedEndReason(status: TerminalCallStatus): string | null {
  return status === 'completed' ? null : status;
}

export interface CallEnd {
  status: TerminalCallStatus;
  endReason?: string | null | undefined;
  transferTo?: string | null | undefined;
  summary?: string | null | undefined;
  durationSeconds?: number | undefined;
  answeredBy?: string | null | undefined;
}

/**
 * Ends a call whose row the caller holds locked: status, `ended_at`, duration (Twilio's when given,
 * else answered → ended), end reason; then settles its campaign contact. Returns the row and the audit
 * entries to append. Audit rows are appended by the caller after every row lock is taken (the audit
 * lock is per tenant; taking it last keeps lock order acyclic with the campaign scheduler).
 */
export async function endCall(
  tx: Tx,
  row: CallRow,
  end: CallEnd,
  now: Date,
): Promise<{ row: CallRow; audits: AuditEntry[] }> {
  const answeredAt = row.answeredAt;
  const duration =
    end.durationSeconds ??
    (answeredAt ? Math.max(0, Math.round((now.getTime() - answeredAt.getTime()) / 1000)) : 0);
  const [updated] = await tx
    .update(tables.calls)
    .set({
      status: end.status,
      endedAt: now,
      durationSeconds: duration,
      endReason: row.endReason ?? end.endReason ?? impliedEndReason(end.status),
      transferTo: row.transferTo ?? end.transferTo ?? null,
      summary: row.summary ?? end.summary ?? null,
      answeredBy: row.answeredBy ?? end.answeredBy ?? null,
      streamTokenHash: null,
      streamTokenExpiresAt: null,
      updatedAt: now,
    })
    .where(eq(tables.calls.id, row.id))
    .returning();
  if (!updated) throw new Error('update returned no row');
  const audits = await settleCampaignContact(tx, updated, now);
  return { row: updated, audits };
}

/** What a finished campaign call means for its contact. */
export type ContactOutcome =
  | { kind: 'completed'; result: string }
  | { kind: 'skipped'; result: string }
  | { kind: 'retry'; result: string };

/**
 * A human answered and the call completed: done. A fax line: skipped (calling again will not help).
 * Busy, no answer, failed, canceled or an answering machine: try again, if attempts remain.
 */
export function contactOutcome(call: Pick<CallRow, 'status' | 'answeredBy' | 'endReason'>): ContactOutcome {
  if (call.answeredBy === 'fax') return { kind: 'skipped', result: 'fax' };
  const machine = call.answeredBy?.startsWith('machine') === true || call.endReason === 'machine';
  if (machine) return { kind: 'retry', result: 'machine' };
  if (call.status === 'completed') return { kind: 'completed', result: 'answered' };
  return { kind: 'retry', result: call.status };
}

const UNFINISHED_CONTACTS = ['pending', 'calling'] as const;

/**
 * Moves the contact of an ended campaign call on (completed, retry after backoff, exhausted, skipped)
 * and completes the campaign once no contact is left to call. Ignores a call that is not the
 * contact's latest (a late callback of an earlier attempt).
 */
async function settleCampaignContact(tx: Tx, call: CallRow, now: Date): Promise<AuditEntry[]> {
  if (!call.campaignId || !call.campaignContactId) return [];
  const contacts = tables.campaignContacts;
  const [contact] = await tx
    .select()
    .from(contacts)
    .where(eq(contacts.id, call.campaignContactId))
    .for('update');
  if (!contact || contact.lastCallId !== call.id || contact.status !== 'calling') return [];
  const [campaign] = await tx
    .select({ retry: tables.campaigns.retry })
    .from(tables.campaigns)
    .where(eq(tables.campaigns.id, call.campaignId));
  const outcome = contactOutcome(call);
  const next: Partial<ContactRow> =
    outcome.kind === 'completed'
      ? { status: 'completed' }
      : outcome.kind === 'skipped'
        ? { status: 'skipped' }
        : campaign && contact.attempts < campaign.retry.maxAttempts
          ? {
              status: 'pending',
              nextAttemptAt: new Date(now.getTime() + campaign.retry.backoffMinutes * 60_000),
            }
          : { status: 'exhausted' };
  await tx
    .update(contacts)
    .set({ ...next, lastResult: outcome.result, updatedAt: now })
    .where(eq(contacts.id, contact.id));
  return completeCampaignIfDone(tx, call.campaignId, now);
}

/**
 * Completes a started campaign with no pending or calling contact left. SKIP LOCKED: when the
 * scheduler holds the campaign, its own tick completes it instead (no waiting, no deadlock).
 */
export async function completeCampaignIfDone(tx: Tx, campaignId: string, now: Date): Promise<AuditEntry[]> {
  const campaigns = tables.campaigns;
  const [campaign] = await tx
    .select({ id: campaigns.id, status: campaigns.status })
    .from(campaigns)
    .where(and(eq(campaigns.id, campaignId), inArray(campaigns.status, ['running', 'paused'])))
    .for('update', { skipLocked: true });
  if (!campaign) return [];
  const [left] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(tables.campaignContacts)
    .where(
      and(
        eq(tables.campaignContacts.campaignId, campaignId),
        inArray(tables.campaignContacts.status, [...UNFINISHED_CONTACTS]),
      ),
    );
  if ((left?.count ?? 0) > 0) return [];
  await tx.update(campaigns).set({ status: 'completed', updatedAt: now }).where(eq(campaigns.id, campaignId));
  return [
    {
      action: 'campaign.complete',
      resourceType: 'campaign',
      resourceId: campaignId,
      before: { status: campaign.status },
      after: { status: 'completed' },
    },
  ];
}
