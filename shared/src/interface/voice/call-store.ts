import { and, eq, sql } from 'drizzle-orm';
import {
  AppError,
  type Clock,
  newId,
  randomBytes,
  sha256Hex,
  systemClock,
  timingSafeEqual,
  toBase64Url,
} from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, rowsOf, tables } from '../../platform/index.ts';
import { advances, isTerminal } from './call-lifecycle.ts';
import { createCallProgress } from './call-progress.ts';
import { callerId, findCall } from './call-rows.ts';
import { scopeOf } from './context.ts';
import { normalizePhone } from './e164.ts';
import { type CallDetails, type CallView, type PhoneNumberMode, toCallDetails, toCallView } from './views.ts';

/** How long a stream token may wait for its WebSocket. */
export const STREAM_TOKEN_TTL_MS = 2 * 60_000;

/** Where an inbound call goes: the tenant, agent and number the called number is routed to. */
export interface InboundRoute {
  tenantId: string;
  agentId: string;
  phoneNumberId: string;
  mode: PhoneNumberMode;
}

/** The call a Twilio CallSid belongs to. */
export interface CallSidRoute {
  tenantId: string;
  callId: string;
}

/** A one-time token for the call's media WebSocket (pass it as a TwiML <Parameter>). */
export interface StreamToken {
  streamToken: string;
  /** ISO 8601. */
  expiresAt: string;
}

export interface InboundCallInput {
  agentId: string;
  phoneNumberId: string;
  callSid: string;
  from: string;
  to: string;
}

const STREAM_REFUSED = 'Stream token is invalid, used or expired';

async function mintStreamToken(now: Date): Promise<StreamToken & { hash: string; expires: Date }> {
  const streamToken = toBase64Url(randomBytes(32));
  const expires = new Date(now.getTime() + STREAM_TOKEN_TTL_MS);
  return { streamToken, hash: await sha256Hex(streamToken), expires, expiresAt: expires.toISOString() };
}

/**
 * The voice node's data access. Routing lookups run before the tenant is known (SECURITY DEFINER
 * functions, migration 0006); everything else takes the tenant's context (`voiceContext(tenantId)`)
 * and runs under its RLS. State changes are audited.
 */
export function createVoiceCallStore(options: { db: Database; clock?: Clock }) {
  const { db } = options;
  const clock = options.clock ?? systemClock;

  return {
    /** The route of an inbound call to `to` (an active number of an active tenant), or null. */
    async resolveInboundNumber(to: string): Promise<InboundRoute | null> {
      const number = normalizePhone(to);
      if (!number) return null;
      const [row] = await db.withoutTenant(null, async (tx) =>
        rowsOf<{ tenant_id: string; agent_id: string; phone_number_id: string; mode: PhoneNumberMode }>(
          await tx.execute(sql`select * from lumay_private.voice_route_number(${number})`),
        ),
      );
      return row
        ? {
            tenantId: row.tenant_id,
            agentId: row.agent_id,
            phoneNumberId: row.phone_number_id,
            mode: row.mode,
          }
        : null;
    },

    /** The tenant and call of a Twilio CallSid (for status callbacks), or null. */
    async resolveCallSid(callSid: string): Promise<CallSidRoute | null> {
      if (!callSid || callSid.length > 64) return null;
      const [row] = await db.withoutTenant(null, async (tx) =>
        rowsOf<{ tenant_id: string; call_id: string }>(
          await tx.execute(sql`select * from lumay_private.voice_call_by_sid(${callSid})`),
        ),
      );
      return row ? { tenantId: row.tenant_id, callId: row.call_id } : null;
    },

    /**
     * Records an inbound call (ringing) and mints its stream token. A webhook retried by Twilio (same
     * CallSid) gets the same call and a fresh token.
     */
    async createInboundCall(
      context: RequestContext,
      input: InboundCallInput,
    ): Promise<{ callId: string } & StreamToken> {
      const now = clock.now();
      const token = await mintStreamToken(now);
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .insert(tables.calls)
          .values({
            id: newId('call'),
            tenantId: context.tenantId,
            agentId: input.agentId,
            phoneNumberId: input.phoneNumberId,
            direction: 'inbound',
            fromNumber: callerId(input.from),
            toNumber: normalizePhone(input.to) ?? callerId(input.to),
            twilioCallSid: input.callSid,
            status: 'ringing',
            streamTokenHash: token.hash,
            streamTokenExpiresAt: token.expires,
            startedAt: now,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: tables.calls.twilioCallSid })
          .returning();
        if (row) {
          await appendAudit(tx, context, {
            action: 'call.create',
            resourceType: 'call',
            resourceId: row.id,
            after: toCallView(row),
          });
          return { callId: row.id, streamToken: token.streamToken, expiresAt: token.expiresAt };
        }
        const [existing] = await tx
          .update(tables.calls)
          .set({ streamTokenHash: token.hash, streamTokenExpiresAt: token.expires, updatedAt: now })
          .where(eq(tables.calls.twilioCallSid, input.callSid))
          .returning({ id: tables.calls.id });
        if (!existing) throw new AppError('conflict', 'This CallSid belongs to another call');
        return { callId: existing.id, streamToken: token.streamToken, expiresAt: token.expiresAt };
      });
    },

    /** A fresh stream token for a call that has not ended (an outbound call's TwiML needs one). */
    async issueStreamToken(context: RequestContext, callId: string): Promise<StreamToken> {
      const now = clock.now();
      const token = await mintStreamToken(now);
      return db.withTenant(scopeOf(context), async (tx) => {
        const row = await findCall(tx, callId, true);
        if (isTerminal(row.status)) throw new AppError('conflict', `The call has ended (${row.status})`);
        await tx
          .update(tables.calls)
          .set({ streamTokenHash: token.hash, streamTokenExpiresAt: token.expires, updatedAt: now })
          .where(eq(tables.calls.id, callId));
        return { streamToken: token.streamToken, expiresAt: token.expiresAt };
      });
    },

    /**
     * Consumes the call's stream token (once: it is cleared in the same transaction) and marks the call
     * in progress. A wrong, used or expired token, an ended call, an unknown call or a CallSid that is
     * not the call's are all the same 403.
     */
    async claimStream(
      context: RequestContext,
      input: { callId: string; callSid?: string | undefined; token: string },
    ): Promise<CallView> {
      const presented = await sha256Hex(input.token);
      const now = clock.now();
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .select()
          .from(tables.calls)
          .where(eq(tables.calls.id, input.callId))
          .for('update');
        const valid =
          row?.streamTokenHash != null &&
          timingSafeEqual(row.streamTokenHash, presented) &&
          row.streamTokenExpiresAt != null &&
          row.streamTokenExpiresAt.getTime() > now.getTime() &&
          !isTerminal(row.status) &&
          (input.callSid === undefined || row.twilioCallSid === null || row.twilioCallSid === input.callSid);
        if (!row || !valid) throw new AppError('forbidden', STREAM_REFUSED);
        const [claimed] = await tx
          .update(tables.calls)
          .set({
            streamTokenHash: null,
            streamTokenExpiresAt: null,
            twilioCallSid: row.twilioCallSid ?? input.callSid ?? null,
            ...(advances(row.status, 'in_progress') ? { status: 'in_progress' as const } : {}),
            answeredAt: row.answeredAt ?? now,
            updatedAt: now,
          })
          .where(eq(tables.calls.id, row.id))
          .returning();
        if (!claimed) throw new AppError('forbidden', STREAM_REFUSED);
        const view = toCallView(claimed);
        await appendAudit(tx, context, {
          action: 'call.stream_claim',
          resourceType: 'call',
          resourceId: row.id,
          before: { status: row.status },
          after: { status: view.status },
        });
        return view;
      });
    },

    /**
     * Claims a requested outbound call for dialing (requested → dialing, one conditional UPDATE): of
     * any number of consumers given the same event, exactly one gets `claimed: true` and dials.
     */
    async markDialing(
      context: RequestContext,
      callId: string,
      callSid?: string,
    ): Promise<{ claimed: boolean; call: CallView }> {
      const now = clock.now();
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .update(tables.calls)
          .set({
            status: 'dialing',
            startedAt: now,
            ...(callSid ? { twilioCallSid: callSid } : {}),
            updatedAt: now,
          })
          .where(and(eq(tables.calls.id, callId), eq(tables.calls.status, 'requested')))
          .returning();
        if (!row) return { claimed: false, call: toCallView(await findCall(tx, callId)) };
        await appendAudit(tx, context, {
          action: 'call.dial',
          resourceType: 'call',
          resourceId: callId,
          before: { status: 'requested' },
          after: { status: 'dialing', twilioCallSid: row.twilioCallSid },
        });
        return { claimed: true, call: toCallView(row) };
      });
    },

    /** Stores the CallSid Twilio gave the dialed call; the same sid again is a no-op, another is a 409. */
    async attachCallSid(context: RequestContext, callId: string, callSid: string): Promise<CallView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const row = await findCall(tx, callId, true);
        if (row.twilioCallSid === callSid) return toCallView(row);
        if (row.twilioCallSid !== null)
          throw new AppError('conflict', 'The call already has another CallSid');
        const [updated] = await tx
          .update(tables.calls)
          .set({ twilioCallSid: callSid, updatedAt: clock.now() })
          .where(eq(tables.calls.id, callId))
          .returning();
        if (!updated) throw new AppError('not_found', 'Call not found');
        return toCallView(updated);
      });
    },

    /** A call with its turns. */
    async getCall(context: RequestContext, callId: string): Promise<CallDetails> {
      return db.withTenant(scopeOf(context), async (tx) => toCallDetails(await findCall(tx, callId)));
    },

    ...createCallProgress({ db, clock }),
  };
}

export type VoiceCallStore = ReturnType<typeof createVoiceCallStore>;
