import { createVoiceServices, isAppError, newId, type VoiceCallStore, voiceContext } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginAdmin } from '../../support/client.ts';
import { settableClock, uniqueNumber, type VoiceTenant, voiceTenant } from './support.ts';

const callSid = () => `CA${newId('request').slice(4).toLowerCase()}`;

async function errorCode(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('voice call store on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let a: VoiceTenant;
  let b: VoiceTenant;
  let store: VoiceCallStore;
  const clock = settableClock();

  const inbound = (tenant: VoiceTenant, sid = callSid()) =>
    store.createInboundCall(voiceContext(tenant.tenantId), {
      agentId: tenant.agentId,
      phoneNumberId: tenant.phoneNumberId,
      callSid: sid,
      from: '+15557770002',
      to: tenant.number,
    });
  const outbound = async (tenant: VoiceTenant) => {
    const response = await api.post(
      '/v1/calls',
      { agentId: tenant.agentId, to: uniqueNumber() },
      { token: tenant.token },
    );
    expect(response.status, response.text).toBe(202);
    return response.body.id as string;
  };
  const auditActions = async (callId: string) =>
    (
      await target.owner<{ action: string }>(
        'select action from audit_log where resource_id = $1 order by seq',
        [callId],
      )
    ).map((row) => row.action);

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    const adminToken = await loginAdmin(api);
    a = await voiceTenant(api, adminToken, 'store-a');
    b = await voiceTenant(api, adminToken, 'store-b');
    store = createVoiceServices({ db: target.db, clock }).callStore;
  });
  afterAll(() => target?.close());

  it('records an inbound call and hands out a stream token that works exactly once', async () => {
    const sid = callSid();
    const created = await inbound(a, sid);
    expect(created.callId).toMatch(/^cal_/);
    expect(created.streamToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(created.expiresAt).getTime() - clock.now().getTime()).toBe(120_000);
    const [row] = await target.owner<{ stream_token_hash: string; status: string }>(
      'select stream_token_hash, status from calls where id = $1',
      [created.callId],
    );
    expect(row?.status).toBe('ringing');
    expect(row?.stream_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.stream_token_hash).not.toContain(created.streamToken);

    const context = voiceContext(a.tenantId);
    const wrong = `${created.streamToken.slice(0, -1)}${created.streamToken.endsWith('A') ? 'B' : 'A'}`;
    expect(await errorCode(store.claimStream(context, { callId: created.callId, token: wrong }))).toBe(
      'forbidden',
    );
    expect(
      await errorCode(
        store.claimStream(context, {
          callId: created.callId,
          callSid: callSid(),
          token: created.streamToken,
        }),
      ),
    ).toBe('forbidden');
    // The other tenant's context cannot see the call: the same 403, not a 404 oracle.
    expect(
      await errorCode(
        store.claimStream(voiceContext(b.tenantId), { callId: created.callId, token: created.streamToken }),
      ),
    ).toBe('forbidden');
    const claimed = await store.claimStream(context, {
      callId: created.callId,
      callSid: sid,
      token: created.streamToken,
    });
    expect(claimed).toMatchObject({ id: created.callId, status: 'in_progress', twilioCallSid: sid });
    expect(claimed.answeredAt).not.toBeNull();
    expect(
      await errorCode(store.claimStream(context, { callId: created.callId, token: created.streamToken })),
    ).toBe('forbidden');
    expect(await auditActions(created.callId)).toEqual(['call.create', 'call.stream_claim']);
  });

  it('refuses an expired token and lets a retried webhook (same CallSid) mint a fresh one', async () => {
    const sid = callSid();
    const first = await inbound(a, sid);
    clock.advance(121_000);
    const context = voiceContext(a.tenantId);
    expect(
      await errorCode(store.claimStream(context, { callId: first.callId, token: first.streamToken })),
    ).toBe('forbidden');
    const retried = await inbound(a, sid);
    expect(retried.callId).toBe(first.callId);
    expect(retried.streamToken).not.toBe(first.streamToken);
    expect(
      await errorCode(store.claimStream(context, { callId: first.callId, token: first.streamToken })),
    ).toBe('forbidden');
    expect(
      (await store.claimStream(context, { callId: first.callId, token: retried.streamToken })).status,
    ).toBe('in_progress');
    // Another tenant cannot take over a CallSid already in use.
    expect(await errorCode(inbound(b, sid))).toBe('conflict');
  });

  it('issues stream tokens for outbound calls, not for ended ones', async () => {
    const callId = await outbound(a);
    const context = voiceContext(a.tenantId);
    const token = await store.issueStreamToken(context, callId);
    await store.markDialing(context, callId, callSid());
    expect((await store.claimStream(context, { callId, token: token.streamToken })).status).toBe(
      'in_progress',
    );
    await store.finishCall(context, callId, { status: 'completed', endReason: 'hangup' });
    expect(await errorCode(store.issueStreamToken(context, callId))).toBe('conflict');
    expect(await errorCode(store.issueStreamToken(context, newId('call')))).toBe('not_found');
  });

  it('lets exactly one of many concurrent consumers claim a requested call for dialing', async () => {
    const callId = await outbound(a);
    const context = voiceContext(a.tenantId);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.markDialing(context, callId)));
    expect(results.filter((result) => result.claimed)).toHaveLength(1);
    expect(results.every((result) => result.call.status === 'dialing')).toBe(true);
    expect((await store.markDialing(context, callId)).claimed).toBe(false);
    const sid = callSid();
    expect((await store.attachCallSid(context, callId, sid)).twilioCallSid).toBe(sid);
    expect((await store.attachCallSid(context, callId, sid)).twilioCallSid).toBe(sid);
    expect(await errorCode(store.attachCallSid(context, callId, callSid()))).toBe('conflict');
    expect(await store.resolveCallSid(sid)).toEqual({ tenantId: a.tenantId, callId });
    expect(await auditActions(callId)).toEqual(['call.create', 'call.dial']);
  });

  it('applies each status callback once, only forward, and ends the call with Twilio duration', async () => {
    const callId = await outbound(a);
    const context = voiceContext(a.tenantId);
    await store.markDialing(context, callId, callSid());
    const ringing = { callId, sequenceNumber: 1, status: 'ringing' as const };
    expect((await store.recordStatus(context, ringing)).duplicate).toBe(false);
    for (let replay = 0; replay < 3; replay++) {
      expect(await store.recordStatus(context, ringing)).toMatchObject({
        duplicate: true,
        call: { status: 'ringing' },
      });
    }
    clock.advance(5_000);
    const answered = await store.recordStatus(context, {
      callId,
      sequenceNumber: 2,
      status: 'in-progress',
      answeredBy: 'human',
    });
    expect(answered.call).toMatchObject({ status: 'in_progress', answeredBy: 'human' });
    // A late "ringing" with a new sequence number is recorded but does not move the call back.
    expect(
      (await store.recordStatus(context, { callId, sequenceNumber: 0, status: 'initiated' })).call.status,
    ).toBe('in_progress');
    clock.advance(42_000);
    const done = await store.recordStatus(context, {
      callId,
      sequenceNumber: 3,
      status: 'completed',
      durationSeconds: 41,
    });
    expect(done.call).toMatchObject({ status: 'completed', durationSeconds: 41, endReason: null });
    expect(done.call.endedAt).not.toBeNull();
    expect(
      (
        await store.recordStatus(context, {
          callId,
          sequenceNumber: 3,
          status: 'completed',
          durationSeconds: 41,
        })
      ).duplicate,
    ).toBe(true);

    // The voice node's finish afterwards fills in what the callback could not know, and nothing else.
    const finished = await store.finishCall(context, callId, {
      status: 'failed',
      endReason: 'transfer',
      transferTo: '+15550001111',
      summary: 'Sent to billing',
    });
    expect(finished).toMatchObject({
      status: 'completed',
      endReason: 'transfer',
      transferTo: '+15550001111',
      summary: 'Sent to billing',
      durationSeconds: 41,
    });
    const again = await store.finishCall(context, callId, {
      status: 'completed',
      endReason: 'hangup',
      summary: 'other',
    });
    expect(again).toMatchObject({ endReason: 'transfer', summary: 'Sent to billing' });

    const events = await target.owner<{ n: number }>(
      'select count(*)::int as n from call_status_events where call_id = $1',
      [callId],
    );
    expect(events).toEqual([{ n: 4 }]);
    expect(await auditActions(callId)).toEqual([
      'call.create',
      'call.dial',
      'call.status',
      'call.status',
      'call.status',
    ]);
  });

  it('finishes a call once: ended_at and duration from answer to end, then idempotent', async () => {
    const created = await inbound(a);
    const context = voiceContext(a.tenantId);
    await store.claimStream(context, { callId: created.callId, token: created.streamToken });
    clock.advance(30_000);
    const finished = await store.finishCall(context, created.callId, {
      status: 'completed',
      endReason: 'hangup',
    });
    expect(finished).toMatchObject({ status: 'completed', endReason: 'hangup', durationSeconds: 30 });
    clock.advance(10_000);
    const again = await store.finishCall(context, created.callId, {
      status: 'completed',
      endReason: 'error',
    });
    expect(again).toMatchObject({ endedAt: finished.endedAt, durationSeconds: 30, endReason: 'hangup' });
    expect(await auditActions(created.callId)).toEqual(['call.create', 'call.stream_claim', 'call.finish']);
  });

  it('keeps every turn under concurrent appends, each at its own index', async () => {
    const created = await inbound(a);
    const context = voiceContext(a.tenantId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.appendTurn(context, created.callId, {
          callerText: `turn ${index}`,
          latencyMs: { totalResponse: index },
        }),
      ),
    );
    expect(results.map((result) => result.index).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, index) => index),
    );
    const call = await store.getCall(context, created.callId);
    expect(call.turns).toHaveLength(20);
    expect(call.turns.map((turn) => turn.index)).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(new Set(call.turns.map((turn) => turn.callerText)).size).toBe(20);
    // NUL is dropped, long text is cut, nonsense numbers are refused.
    await store.appendTurn(context, created.callId, { callerText: `a\u0000b${'x'.repeat(10_000)}` });
    expect((await store.getCall(context, created.callId)).turns[20]?.callerText).toHaveLength(8000);
    expect(
      await errorCode(store.appendTurn(context, created.callId, { latencyMs: { totalResponse: -5 } })),
    ).toBe('validation_failed');
    expect(
      await errorCode(store.appendTurn(voiceContext(b.tenantId), created.callId, { callerText: 'x' })),
    ).toBe('not_found');
  });

  it('links a call to a conversation of its tenant only', async () => {
    const created = await inbound(a);
    const context = voiceContext(a.tenantId);
    const started = await api.post(
      '/v1/conversations',
      { agentId: a.agentId, channel: 'voice' },
      { token: a.token },
    );
    expect(started.status, started.text).toBe(201);
    const conversationId = started.body.conversation.id as string;
    const linked = await store.attachConversation(context, created.callId, conversationId);
    expect(linked.conversationId).toBe(conversationId);
    expect((await store.attachConversation(context, created.callId, conversationId)).conversationId).toBe(
      conversationId,
    );
    const detail = await api.get(`/v1/calls/${created.callId}`, { token: a.token });
    expect(detail.body.links).toEqual({ conversation: `/v1/conversations/${conversationId}` });

    const foreign = await api.post(
      '/v1/conversations',
      { agentId: b.agentId, channel: 'voice' },
      { token: b.token },
    );
    const other = await inbound(a);
    expect(
      await errorCode(store.attachConversation(context, other.callId, foreign.body.conversation.id)),
    ).toBe('not_found');
    expect(
      await errorCode(store.attachConversation(context, created.callId, foreign.body.conversation.id)),
    ).toBe('not_found');
  });

  it("cannot touch another tenant's call through any store function", async () => {
    const created = await inbound(a);
    const foreign = voiceContext(b.tenantId);
    for (const attempt of [
      () => store.markDialing(foreign, created.callId),
      () => store.recordStatus(foreign, { callId: created.callId, sequenceNumber: 9, status: 'completed' }),
      () => store.finishCall(foreign, created.callId, { status: 'failed', endReason: 'error' }),
      () => store.getCall(foreign, created.callId),
      () => store.issueStreamToken(foreign, created.callId),
    ]) {
      expect(await errorCode(attempt())).toBe('not_found');
    }
    expect((await store.getCall(voiceContext(a.tenantId), created.callId)).status).toBe('ringing');
  });
});
