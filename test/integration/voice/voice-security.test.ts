import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from '../../../voice-node/src/twilio/signature.ts';
import { signedWebhook } from '../../support/twilio/fake-twilio.ts';
import {
  connectMediaStreamCaller,
  type MediaStreamCallerOptions,
  WebSocketUpgradeError,
} from '../../support/twilio/simulated-caller.ts';
import { PUBLIC_BASE_URL, randomCallSid } from '../../support/voice-target.ts';
import {
  createVoiceAgent,
  eventually,
  menuFlow,
  startVoiceFixture,
  type VoiceFixture,
} from './voice-helpers.ts';

/**
 * Who may talk to the voice node: WebSocket upgrades signed over the configured public wss:// URL
 * (refused with 403 before the handshake), signed webhooks, one-time stream tokens, and status
 * callbacks applied exactly once.
 */
describe('voice node: signatures, stream tokens and status callbacks', () => {
  let fx: VoiceFixture;
  let agent: { agentId: string; number: string };

  beforeAll(async () => {
    fx = await startVoiceFixture();
    agent = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow() });
  });
  afterAll(async () => {
    await fx?.close();
  });

  const mediaUrl = `wss://${new URL(PUBLIC_BASE_URL).host}/twilio/media`;
  const local = (path = '/twilio/media') => `ws://127.0.0.1:${fx.voice.port}${path}`;
  const countRows = async (sql: string, params: unknown[]) =>
    Number((await fx.app.owner<{ count: string }>(sql, params))[0]?.count ?? 0);

  /** The voice webhook as Twilio sends it: answers the TwiML's stream parameters. */
  async function answer(callSid: string, to = agent.number): Promise<Record<string, string>> {
    const response = await signedWebhook(
      `${PUBLIC_BASE_URL}/twilio/voice`,
      {
        CallSid: callSid,
        AccountSid: fx.twilio.accountSid,
        From: '+15555550123',
        To: to,
        Direction: 'inbound',
      },
      fx.twilio.authToken,
      { postTo: `${fx.voice.httpUrl}/twilio/voice` },
    );
    const twiml = await response.text();
    expect(response.status, twiml).toBe(200);
    const parameters: Record<string, string> = {};
    for (const match of twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)) {
      parameters[match[1] ?? ''] = match[2] ?? '';
    }
    expect(Object.keys(parameters).sort()).toEqual(['callId', 'tenantId', 'token']);
    return parameters;
  }

  function streamOptions(
    callSid: string,
    customParameters: Record<string, string>,
  ): MediaStreamCallerOptions {
    return {
      wsUrl: local(),
      signedUrl: mediaUrl,
      authToken: fx.twilio.authToken,
      callSid,
      accountSid: fx.twilio.accountSid,
      customParameters,
    };
  }

  async function refusal(options: Partial<MediaStreamCallerOptions>): Promise<WebSocketUpgradeError> {
    const attempt = connectMediaStreamCaller({ ...streamOptions(randomCallSid(), {}), ...options });
    const error = await attempt.then(
      async (caller) => {
        await caller.hangup();
        return new Error('the upgrade was accepted');
      },
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WebSocketUpgradeError);
    return error as WebSocketUpgradeError;
  }

  it('refuses unsigned, wrongly signed, Host-signed and query-string upgrades with 403 before the handshake', async () => {
    const rejectedBefore = await fx.metric('lumay_voice_streams_rejected_total');
    const token = fx.twilio.authToken;
    const cases: Partial<MediaStreamCallerOptions>[] = [
      { signature: null },
      { signature: 'bm90IGEgc2lnbmF0dXJl' },
      // Signed with another account's token.
      { authToken: `${token.slice(1)}x` },
      // Signed over the URL the request actually reached (the Host header), not the public one.
      { signature: twilioSignature(token, local()) },
      { signature: twilioSignature(token, `wss://127.0.0.1:${fx.voice.port}/twilio/media`) },
      {
        signature: twilioSignature(token, 'wss://attacker.example/twilio/media'),
        headers: { Host: 'attacker.example' },
      },
      // A query string, even signed over exactly that URL, is refused (parameters travel in `start`).
      { wsUrl: `${local()}?callId=x`, signature: twilioSignature(token, `${mediaUrl}?callId=x`) },
      {
        wsUrl: `${local('/twilio/relay')}?token=x`,
        signature: twilioSignature(token, `${mediaUrl.replace('media', 'relay')}?token=x`),
      },
      // The relay endpoint checks the same way.
      { wsUrl: local('/twilio/relay'), signature: null },
    ];
    for (const options of cases) {
      const error = await refusal(options);
      expect(error.status, JSON.stringify(options)).toBe(403);
    }
    expect((await refusal({ wsUrl: local('/twilio/elsewhere') })).status).toBe(404);
    expect(await fx.metric('lumay_voice_streams_rejected_total')).toBeGreaterThanOrEqual(
      rejectedBefore + cases.length,
    );
    // The same socket, signed correctly, is upgraded (and closed for want of stream parameters).
    const caller = await connectMediaStreamCaller(streamOptions(randomCallSid(), {}));
    expect((await caller.closed).code).toBe(1008);
  });

  it('refuses a voice webhook with a bad signature with 403 JSON and records no call', async () => {
    const callSid = randomCallSid();
    const params = {
      CallSid: callSid,
      AccountSid: fx.twilio.accountSid,
      From: '+15555550123',
      To: agent.number,
    };
    const attempts = [
      { signature: null },
      { signature: 'bm90IGEgc2lnbmF0dXJl' },
      // Signed over the local address the request reached instead of the public URL.
      { signature: twilioSignature(fx.twilio.authToken, `${fx.voice.httpUrl}/twilio/voice`, params) },
      // Signed over other parameters than the ones sent.
      {
        signature: twilioSignature(fx.twilio.authToken, `${PUBLIC_BASE_URL}/twilio/voice`, {
          ...params,
          To: '+15550000001',
        }),
      },
    ];
    for (const attempt of attempts) {
      const response = await signedWebhook(`${PUBLIC_BASE_URL}/twilio/voice`, params, fx.twilio.authToken, {
        postTo: `${fx.voice.httpUrl}/twilio/voice`,
        ...attempt,
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toEqual({
        error: { code: 'forbidden', message: expect.any(String) },
      });
    }
    expect(await countRows('select count(*) from calls where twilio_call_sid = $1', [callSid])).toBe(0);
  });

  it('closes a signed stream with a wrong or used one-time token (1008) and starts no conversation', async () => {
    const callSid = randomCallSid();
    const parameters = await answer(callSid);
    const conversations = () =>
      countRows("select count(*) from conversations where metadata->>'callId' = $1", [parameters.callId]);

    const attempts: Record<string, string>[] = [
      { ...parameters, token: 'not-the-token' },
      { ...parameters, token: `${parameters.token?.slice(0, -2)}AA` },
      { tenantId: parameters.tenantId ?? '', callId: parameters.callId ?? '' },
    ];
    for (const wrong of attempts) {
      const caller = await connectMediaStreamCaller(streamOptions(callSid, wrong));
      const closed = await caller.closed;
      expect(closed.code).toBe(1008);
      expect(closed.by).toBe('server');
      expect(caller.receivedAudio().length).toBe(0);
    }
    // Another call's CallSid with this call's token is refused too.
    const stolen = await connectMediaStreamCaller(streamOptions(randomCallSid(), parameters));
    expect((await stolen.closed).code).toBe(1008);
    expect(await conversations()).toBe(0);

    // The right token still works once…
    const first = await connectMediaStreamCaller(streamOptions(callSid, parameters));
    await first.waitFor(() => first.receivedAudio().length > 0, 15_000, 'greeting');
    // …and only once: the same parameters again are refused while the first stream runs.
    const replay = await connectMediaStreamCaller(streamOptions(callSid, parameters));
    const closed = await replay.closed;
    expect(closed.code).toBe(1008);
    expect(replay.receivedAudio().length).toBe(0);
    expect(first.isOpen()).toBe(true);
    await first.hangup();
    const record = await eventually(async () => {
      const current = await fx.record(callSid);
      expect(current.endReason).toBe('hangup');
      return current;
    });
    expect(record.conversationId).not.toBeNull();
    expect(await conversations()).toBe(1);
    // After the call ended, its token is gone as well.
    const late = await connectMediaStreamCaller(streamOptions(callSid, parameters));
    expect((await late.closed).code).toBe(1008);
  }, 60_000);

  it('applies a status callback once, ignores unknown CallSids and refuses incomplete ones', async () => {
    const callSid = randomCallSid();
    const { callId } = await answer(callSid);
    const status = (params: Record<string, string>, signature?: string | null) =>
      signedWebhook(`${PUBLIC_BASE_URL}/twilio/status`, params, fx.twilio.authToken, {
        postTo: `${fx.voice.httpUrl}/twilio/status`,
        ...(signature === undefined ? {} : { signature }),
      });
    const callback = {
      AccountSid: fx.twilio.accountSid,
      CallSid: callSid,
      CallStatus: 'completed',
      CallDuration: '42',
      SequenceNumber: '3',
      Timestamp: new Date().toUTCString(),
    };
    const events = () => countRows('select count(*) from call_status_events where call_id = $1', [callId]);
    const audits = () =>
      countRows("select count(*) from audit_log where resource_id = $1 and action = 'call.status'", [callId]);

    const first = await status(callback);
    expect(first.status).toBe(204);
    const afterFirst = await fx.record(callSid);
    expect(afterFirst).toMatchObject({ status: 'completed', durationSeconds: 42 });
    // Twilio retries: the same callback again (a fresh idempotency token, same SequenceNumber).
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const replay = await status(callback);
      expect(replay.status).toBe(204);
    }
    expect(await events()).toBe(1);
    expect(await audits()).toBe(1);
    const afterReplay = await fx.record(callSid);
    expect(afterReplay.updatedAt).toBe(afterFirst.updatedAt);
    // A late, lower status does not move the call back.
    expect((await status({ ...callback, CallStatus: 'ringing', SequenceNumber: '1' })).status).toBe(204);
    expect((await fx.record(callSid)).status).toBe('completed');

    const allEvents = () => countRows('select count(*) from call_status_events', []);
    const before = await allEvents();
    const unknown = await status({ ...callback, CallSid: randomCallSid() });
    expect(unknown.status).toBe(204);
    expect(await allEvents()).toBe(before);

    for (const missing of ['CallSid', 'CallStatus']) {
      const params: Record<string, string> = { ...callback };
      delete params[missing];
      const response = await status(params);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'validation_failed', message: expect.any(String) },
      });
    }
    const forged = await status({ ...callback, SequenceNumber: '9' }, 'bm90IGEgc2lnbmF0dXJl');
    expect(forged.status).toBe(403);
    expect(await allEvents()).toBe(before);
  });
});
