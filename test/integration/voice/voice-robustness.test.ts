import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64Payload } from '../../../voice-node/src/twilio/media-messages.ts';
import {
  connectMediaStreamCaller,
  type MediaStreamCaller,
  WebSocketUpgradeError,
} from '../../support/twilio/simulated-caller.ts';
import { placeInboundCall, randomCallSid, speech, startVoiceTarget } from '../../support/voice-target.ts';
import {
  agentFinished,
  audioMs,
  createVoiceAgent,
  eventually,
  menuFlow,
  metricValue,
  shortFlow,
  socketOf,
  startVoiceFixture,
  type VoiceFixture,
} from './voice-helpers.ts';

/**
 * Failures stay inside one call: malformed and oversized frames, failing speech providers and a
 * node drain end or disturb only the call they concern, while other calls go on.
 */
describe('voice node robustness: bad frames, provider failures, drain', () => {
  let fx: VoiceFixture;
  let tellMeMore: Uint8Array;

  beforeAll(async () => {
    fx = await startVoiceFixture();
    tellMeMore = await speech('tell me more');
  });
  afterAll(async () => {
    await fx?.close();
  });

  /** Says something the menu does not understand and waits for the agent's answer (its retry prompt). */
  async function expectAnswer(caller: MediaStreamCaller, what = 'an answer'): Promise<void> {
    const before = caller.receivedAudio().length;
    caller.sendAudio(tellMeMore);
    await caller.waitFor(() => caller.receivedAudio().length > before + 8 * 500, 30_000, what);
    await agentFinished(caller);
  }

  it('drops malformed frames without disturbing the call; a frame over 64 KiB closes only its socket', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow() });
    const badBefore = await fx.metric('lumay_voice_bad_frames_total');
    const [victim, bystander, oversized] = await Promise.all([
      fx.call(agent.number),
      fx.call(agent.number),
      fx.call(agent.number),
    ]);
    if (!victim || !bystander || !oversized) throw new Error('calls missing');
    await Promise.all([
      agentFinished(victim.caller),
      agentFinished(bystander.caller),
      agentFinished(oversized.caller),
    ]);

    const { caller } = victim;
    const media = (sequenceNumber: string, payload: string) =>
      JSON.stringify({
        event: 'media',
        sequenceNumber,
        streamSid: caller.streamSid,
        media: { track: 'inbound', chunk: '1', timestamp: '20', payload },
      });
    const loud = encodeBase64Payload(new Uint8Array(160).fill(0x00));
    const garbage = [
      '{"event": "media", "sequenceNumber": ',
      'not json at all',
      '[1, 2, 3]',
      'null',
      JSON.stringify({ event: 'bogus', sequenceNumber: '5', streamSid: caller.streamSid }),
      JSON.stringify({ event: 'media' }),
      JSON.stringify({
        event: 'dtmf',
        sequenceNumber: '6',
        streamSid: caller.streamSid,
        dtmf: { track: 'inbound_track', digit: 'x' },
      }),
      media('7', '!!!not base64!!!'),
      media('8', 'AAA'),
      media('9', encodeBase64Payload(new Uint8Array(40_000).fill(0x00))),
      // Replayed and out-of-order sequence numbers (real frames are far past these): dropped, in order.
      media('1', loud),
      media('2', loud),
      JSON.stringify({ event: 'start', sequenceNumber: '3', streamSid: caller.streamSid, start: {} }),
    ];
    for (const frame of garbage) caller.sendRaw(frame);
    const socket = socketOf(caller);
    socket.send(Buffer.from([0x7b, 0x00, 0xff, 0x01]), { binary: true });
    socket.send(new Uint8Array(160).fill(0x00), { binary: true });
    const sent = garbage.length + 2;
    // Each one counted once: nothing else the calls sent was taken for a bad frame.
    await eventually(async () =>
      expect(await fx.metric('lumay_voice_bad_frames_total')).toBe(badBefore + sent),
    );
    // A message over 64 KiB closes that socket (1009) and nothing else.
    oversized.caller.sendRaw(JSON.stringify({ event: 'media', padding: 'x'.repeat(70 * 1024) }));
    const closed = await oversized.caller.closed;
    expect(closed.by).toBe('server');
    expect(closed.code).toBe(1009);

    // Both other calls still work: each gets an answer to what it says next.
    expect(caller.isOpen()).toBe(true);
    expect(bystander.caller.isOpen()).toBe(true);
    await Promise.all([expectAnswer(caller, 'the answer after bad frames'), expectAnswer(bystander.caller)]);
    for (const { caller: each } of [victim, bystander, oversized]) expect(each.protocolErrors).toEqual([]);
    expect(caller.clears).toEqual([]);
    await Promise.all([caller.hangup(), bystander.caller.hangup()]);
    for (const { sid } of [victim, bystander]) {
      const record = await eventually(async () => {
        const current = await fx.record(sid);
        expect(current.endReason).toBe('hangup');
        return current;
      });
      expect(record.status).toBe('completed');
      expect(record.turns.filter((turn) => turn.callerText !== null).length).toBeGreaterThanOrEqual(1);
    }
    const victimRecord = await fx.record(victim.sid);
    expect(victimRecord.turns.some((turn) => turn.callerText === 'tell me more')).toBe(true);
  }, 120_000);

  it('a failing TTS provider plays the fallback line, then transfers (or ends without a transfer number)', async () => {
    const fallbackLine = 'Sorry, our voice system has a problem. Please hold.';
    const broken = { tts: { provider: 'elevenlabs' }, fallbackLine };
    const withTransfer = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow(), voice: broken });
    const withoutTransfer = await createVoiceAgent(fx.api, fx.token, {
      flow: menuFlow(),
      voice: { ...broken, transfer: {} },
    });
    const healthy = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow() });
    const failuresBefore = await fx.metric('lumay_voice_provider_failures_total');
    const fallbackMs = audioMs(await speech(fallbackLine, { rate: 165 }));

    // A healthy call runs throughout.
    const good = await fx.call(healthy.number);
    await agentFinished(good.caller);

    const [transferred, ended] = await Promise.all([
      fx.call(withTransfer.number),
      fx.call(withoutTransfer.number),
    ]);
    await fx.twilio.waitFor(
      () => fx.twilio.updates.some((update) => update.callSid === transferred.sid),
      30_000,
      'the transfer after the fallback line',
    );
    // The fallback line was played before the transfer.
    expect(audioMs(transferred.caller.receivedAudio())).toBeGreaterThan(fallbackMs * 0.7);
    const update = fx.twilio.updates.find((entry) => entry.callSid === transferred.sid);
    expect(update?.twiml).toMatch(/<Dial[^>]*>(<Number>)?\+15550100999(<\/Number>)?<\/Dial>/);
    await transferred.caller.closed;

    // Without a transfer number the call ends after the line: the node closes the stream.
    const closed = await ended.caller.closed;
    expect(closed.by).toBe('server');
    expect(audioMs(ended.caller.heardAudio())).toBeGreaterThan(fallbackMs * 0.7);
    expect(fx.twilio.updates.some((entry) => entry.callSid === ended.sid && entry.twiml !== undefined)).toBe(
      false,
    );

    expect(await fx.metric('lumay_voice_provider_failures_total')).toBeGreaterThanOrEqual(failuresBefore + 2);
    const transferRecord = await eventually(async () => {
      const current = await fx.record(transferred.sid);
      expect(current.endReason).toBe('transfer');
      return current;
    });
    expect(transferRecord.transferTo).toBe('+15550100999');
    const endedRecord = await eventually(async () => {
      const current = await fx.record(ended.sid);
      expect(current.endReason).toBe('provider_failure');
      return current;
    });
    expect(endedRecord.status).toBe('failed');

    // The healthy call never noticed.
    expect(good.caller.isOpen()).toBe(true);
    expect(fx.voice.server.activeCalls()).toBe(1);
    await expectAnswer(good.caller);
    expect(good.caller.protocolErrors).toEqual([]);
    await good.caller.hangup();
  }, 120_000);

  it('a call whose providers fail at start leaves the active-calls gauge of the other calls alone', async () => {
    const broken = await createVoiceAgent(fx.api, fx.token, {
      flow: menuFlow(),
      voice: { tts: { provider: 'elevenlabs' }, fallbackLine: 'Sorry.', transfer: {} },
    });
    const healthy = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow() });
    const good = await fx.call(healthy.number);
    await agentFinished(good.caller);
    expect(await fx.metric('lumay_voice_active_calls')).toBe(1);
    const failed = await fx.call(broken.number);
    await failed.caller.closed;
    await eventually(async () => expect((await fx.record(failed.sid)).endReason).toBe('provider_failure'));
    expect(fx.voice.server.activeCalls()).toBe(1);
    // The failed call was never counted as started, so its end must not uncount the healthy one.
    expect(await fx.metric('lumay_voice_active_calls')).toBe(1);
    await good.caller.hangup();
    await eventually(async () => expect(await fx.metric('lumay_voice_active_calls')).toBe(0));
  }, 60_000);

  it('drain: readyz 503, new upgrades refused with 503, the active call is ended by the deadline (drained)', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, { flow: shortFlow() });
    // Draining is one-way: this test gets a voice node of its own.
    const node = await startVoiceTarget(fx.app, {
      TWILIO_ACCOUNT_SID: fx.twilio.accountSid,
      TWILIO_AUTH_TOKEN: fx.twilio.authToken,
      TWILIO_API_BASE_URL: fx.twilio.baseUrl,
    });
    try {
      const { caller, callSid } = await placeInboundCall(node, { to: agent.number });
      // The long statement is playing when the drain starts.
      await caller.waitFor(() => audioMs(caller.heardAudio()) > 1500, 30_000, 'statement playing');
      expect((await fetch(`${node.httpUrl}/readyz`)).status).toBe(200);
      const startedAt = performance.now();
      const drained = node.server.drain(3000);
      const ready = await fetch(`${node.httpUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'draining' });
      expect(await metricValue(node, 'lumay_voice_draining')).toBe(1);
      expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
      const refused = await connectMediaStreamCaller({
        wsUrl: `ws://127.0.0.1:${node.port}/twilio/media`,
        signedUrl: `wss://${new URL(node.publicBaseUrl).host}/twilio/media`,
        authToken: node.authToken,
        callSid: randomCallSid(),
        accountSid: node.accountSid,
      }).then(
        () => new Error('accepted'),
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(WebSocketUpgradeError);
      expect((refused as WebSocketUpgradeError).status).toBe(503);
      expect(caller.isOpen()).toBe(true);

      await drained;
      const closed = await caller.closed;
      expect(closed.by).toBe('server');
      expect(performance.now() - startedAt).toBeLessThan(5000);
      expect(node.server.activeCalls()).toBe(0);
      const record = await eventually(async () => {
        const current = await fx.record(callSid);
        expect(current.endReason).toBe('drained');
        return current;
      });
      expect(record.status).toBe('completed');
    } finally {
      await node.close();
    }
  }, 60_000);
});
