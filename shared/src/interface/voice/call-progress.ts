import { and, eq, lt, sql } from 'drizzle-orm';
import { ZodError } from 'zod';
import { AppError, type Clock, newId } from '../../core/index.ts';
import { type AuditEntry, appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import {
  advances,
  type CallEnd,
  endCall,
  fromTwilioStatus,
  isTerminal,
  type TwilioCallStatus,
} from './call-lifecycle.ts';
import { boundedText, type CallRow, findCall } from './call-rows.ts';
import { scopeOf } from './context.ts';
import { MAX_TURNS_PER_CALL, normaliseTurn } from './turns.ts';
import { type CallTurnInput, type CallView, type TerminalCallStatus, toCallView } from './views.ts';

/** A Twilio status callback, after the voice node has checked its signature and resolved the CallSid. */
export interface StatusCallback {
  callId: string;
  /** Twilio's `SequenceNumber`. */
  sequenceNumber: number;
  status: TwilioCallStatus;
  /** Twilio's `CallDuration` (seconds), on the final callback. */
  durationSeconds?: number | undefined;
  /** Twilio's `AnsweredBy` (answering machine detection): human, machine_start, fax, unknown… */
  answeredBy?: string | undefined;
}

/** How the voice node ends a call. */
export interface CallFinish {
  status: TerminalCallStatus;
  /** hangup, transfer, error, drained, machine, no_input, max_duration… (see CALL_END_REASONS). */
  endReason: string;
  transferTo?: string | undefined;
  summary?: string | undefined;
}

async function appendAll(tx: Tx, context: RequestContext, entries: AuditEntry[]): Promise<void> {
  for (const entry of entries) await appendAudit(tx, context, entry);
}

/** Status callbacks, turns, the conversation link and the end of a call (part of the voice call store). */
export function createCallProgress(options: { db: Database; clock: Clock }) {
  const { db, clock } = options;

  return {
    /**
     * Applies a status callback once: a replay (same call, sequence number and status) changes nothing
     * and answers `duplicate: true`. Statuses only move forward; an end settles the campaign contact.
     */
    async recordStatus(
      context: RequestContext,
      callback: StatusCallback,
    ): Promise<{ duplicate: boolean; call: CallView }> {
      const now = clock.now();
      const answeredBy = boundedText(callback.answeredBy, 64) ?? undefined;
      return db.withTenant(scopeOf(context), async (tx) => {
        const row = await findCall(tx, callback.callId, true);
        const [inserted] = await tx
          .insert(tables.callStatusEvents)
          .values({
            id: newId('callStatusEvent'),
            tenantId: context.tenantId,
            callId: row.id,
            sequenceNumber: callback.sequenceNumber,
            status: callback.status,
            durationSeconds: callback.durationSeconds ?? null,
            answeredBy: answeredBy ?? null,
            createdAt: now,
          })
          .onConflictDoNothing()
          .returning({ id: tables.callStatusEvents.id });
        if (!inserted) return { duplicate: true, call: toCallView(row) };

        const next = fromTwilioStatus(callback.status);
        if (isTerminal(row.status) || !advances(row.status, next)) {
          // Late or out of order: keep the status, still record what Twilio knows better.
          const [updated] = await tx
            .update(tables.calls)
            .set({
              answeredBy: row.answeredBy ?? answeredBy ?? null,
              ...(isTerminal(row.status) && callback.durationSeconds !== undefined
                ? { durationSeconds: callback.durationSeconds }
                : {}),
              updatedAt: now,
            })
            .where(eq(tables.calls.id, row.id))
            .returning();
          return { duplicate: false, call: toCallView(updated ?? row) };
        }

        let updated: CallRow;
        let audits: AuditEntry[] = [];
        if (isTerminal(next)) {
          ({ row: updated, audits } = await endCall(
            tx,
            row,
            { status: next, durationSeconds: callback.durationSeconds, answeredBy },
            now,
          ));
        } else {
          const [changed] = await tx
            .update(tables.calls)
            .set({
              status: next,
              startedAt: row.startedAt ?? now,
              ...(next === 'in_progress' ? { answeredAt: row.answeredAt ?? now } : {}),
              answeredBy: row.answeredBy ?? answeredBy ?? null,
              updatedAt: now,
            })
            .where(eq(tables.calls.id, row.id))
            .returning();
          if (!changed) throw new AppError('not_found', 'Call not found');
          updated = changed;
        }
        await appendAll(tx, context, [
          {
            action: 'call.status',
            resourceType: 'call',
            resourceId: row.id,
            before: { status: row.status },
            after: { status: updated.status, twilioStatus: callback.status },
          },
          ...audits,
        ]);
        return { duplicate: false, call: toCallView(updated) };
      });
    },

    /** Links the call to the conversation its transcript is stored in (once; the same id again is a no-op). */
    async attachConversation(
      context: RequestContext,
      callId: string,
      conversationId: string,
    ): Promise<CallView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const [conversation] = await tx
          .select({ id: tables.conversations.id })
          .from(tables.conversations)
          .where(eq(tables.conversations.id, conversationId));
        if (!conversation) throw new AppError('not_found', 'Conversation not found');
        const row = await findCall(tx, callId, true);
        if (row.conversationId === conversationId) return toCallView(row);
        if (row.conversationId !== null) {
          throw new AppError('conflict', 'The call is already linked to another conversation');
        }
        const [updated] = await tx
          .update(tables.calls)
          .set({ conversationId, updatedAt: clock.now() })
          .where(eq(tables.calls.id, callId))
          .returning();
        return toCallView(updated ?? row);
      });
    },

    /**
     * Appends one turn in a single UPDATE (`turns || [turn]`), so concurrent appends all land, each at
     * its own index. Answers the index, or null once the call holds MAX_TURNS_PER_CALL turns.
     */
    async appendTurn(
      context: RequestContext,
      callId: string,
      turn: CallTurnInput,
    ): Promise<{ index: number | null }> {
      const now = clock.now();
      let stored: ReturnType<typeof normaliseTurn>;
      try {
        stored = normaliseTurn(turn, now);
      } catch (error) {
        if (error instanceof ZodError)
          throw new AppError('validation_failed', 'The turn is malformed', { cause: error });
        throw error;
      }
      const calls = tables.calls;
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .update(calls)
          .set({
            turns: sql`${calls.turns} || jsonb_build_array(jsonb_set(${JSON.stringify(stored)}::jsonb, '{index}', to_jsonb(jsonb_array_length(${calls.turns}))))`,
            updatedAt: now,
          })
          .where(and(eq(calls.id, callId), lt(sql`jsonb_array_length(${calls.turns})`, MAX_TURNS_PER_CALL)))
          .returning({ index: sql<number>`jsonb_array_length(${calls.turns}) - 1` });
        if (row) return { index: Number(row.index) };
        await findCall(tx, callId);
        return { index: null };
      });
    },

    /**
     * Ends the call (status, end reason, ended_at, duration) and settles its campaign contact. Idempotent:
     * on a call that has already ended only end reason, transfer target and summary still missing are
     * filled in; nothing is overwritten.
     */
    async finishCall(context: RequestContext, callId: string, finish: CallFinish): Promise<CallView> {
      const now = clock.now();
      const end: CallEnd = {
        status: finish.status,
        endReason: boundedText(finish.endReason, 64),
        transferTo: boundedText(finish.transferTo, 64),
        summary: boundedText(finish.summary, 4000),
      };
      return db.withTenant(scopeOf(context), async (tx) => {
        const row = await findCall(tx, callId, true);
        if (isTerminal(row.status)) {
          const [updated] = await tx
            .update(tables.calls)
            .set({
              endReason: row.endReason ?? end.endReason ?? null,
              transferTo: row.transferTo ?? end.transferTo ?? null,
              summary: row.summary ?? end.summary ?? null,
              updatedAt: now,
            })
            .where(eq(tables.calls.id, callId))
            .returning();
          return toCallView(updated ?? row);
        }
        const { row: ended, audits } = await endCall(tx, row, end, now);
        await appendAll(tx, context, [
          {
            action: 'call.finish',
            resourceType: 'call',
            resourceId: callId,
            before: { status: row.status },
            after: {
              status: ended.status,
              endReason: ended.endReason,
              durationSeconds: ended.durationSeconds,
              transferTo: ended.transferTo,
            },
          },
          ...audits,
        ]);
        return toCallView(ended);
      });
    },
  };
}
