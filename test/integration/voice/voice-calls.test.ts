import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget } from '../../support/app-target.ts';
import type { Client } from '../../support/client.ts';
import { type FakeTwilio, startFakeTwilio } from '../../support/twilio/fake-twilio.ts';
import type { MediaStreamCaller } from '../../support/twilio/simulated-caller.ts';
import {
  DEMO_NUMBER,
  PUBLIC_BASE_URL,
  speech,
  startVoiceTarget,
  type VoiceTarget,
} from '../../support/voice-target.ts';
import { createVoiceAgent, demoOwner, LONG_STATEMENT } from './voice-helpers.ts';

/**
 * Calls placed by a simulated Twilio (signed webhook → TwiML → signed Media Streams socket carrying
 * real espeak-ng audio) against the real voice node over the real platform on Postgres with RLS,
 * speaking through the offline speech pair (espeak-ng, pocketsphinx).
 */
describe('voice calls over Twilio Media Streams', () => {
  let app: AppTarget;
  let voice: VoiceTarget;
  let twilio: FakeTwilio;
  let api: Client;
  let token: string;

  beforeAll(async () => {
    app = await createAppTarget('postgres');
    twilio = await startFakeTwilio({
      resolveStreamUrl: (url) => url.replace(/^wss:\/\/[^/]+/, `ws://127.0.0.1:${voicePort()}`),
      resolveWebhookUrl: (url) => url.replace(PUBLIC_BASE_URL, `http://127.0.0.1:${voicePort()}`),
    });
    voice = await startVoiceTarget(app, {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_BASE_URL: twilio.baseUrl,
    });
    ({ api, token } = await demoOwner(app));
  });
  const voicePort = () => voice.port;

  afterAll(async () => {
    await voice?.close();
    await twilio?.close();
    await app?.close();
  });

  async function call(to: string): Promise<{ caller: MediaStreamCaller; sid: string }> {
    const placed = await twilio.inboundCall({
      voiceUrl: `${PUBLIC_BASE_URL}/twilio/voice`,
      from: '+15555550123',
      to,
    });
    const caller = await twilio.waitForMediaCaller(placed.sid, 10_000);
    return { caller, sid: placed.sid };
  }

  /** Retries an assertion block until it passes (call records are written as the call goes). */
  async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async function callRecord(sid: string) {
    const list = await api.get('/v1/calls?limit=50', { token });
    expect(list.status, list.text).toBe(200);
    const found = (list.body.data as { id: string; twilioCallSid: string }[]).find(
      (entry) => entry.twilioCallSid === sid,
    );
    expect(found, list.text).toBeDefined();
    const detail = await api.get(`/v1/calls/${found?.id}`, { token });
    expect(detail.status, detail.text).toBe(200);
    return detail.body;
  }

  it('completes a multi-turn call with the seeded demo agent: speech, DTMF, goodbye', async () => {
    const { caller, sid } = await call(DEMO_NUMBER);
    /** The agent answered (frames after `before`) and then went quiet. */
    const agentSpoke = async (before: number) => {
      await caller.waitFor(() => caller.mediaFrames.length > before, 30_000, 'the agent to answer');
      await caller.waitForSilence(1500, 90_000);
    };
    await agentSpoke(0);
    const greetingMs = caller.heardAudio().length / 8;
    expect(greetingMs).toBeGreaterThan(5000);
    let before = caller.mediaFrames.length;
    caller.sendAudio(await speech('check my order status'));
    await agentSpoke(before);
    before = caller.mediaFrames.length;
    for (const digit of '10420#') caller.sendDtmf(digit);
    await agentSpoke(before);
    caller.sendAudio(await speech('no'));
    const closed = await caller.closed;
    expect(closed.by).toBe('server');
    expect(caller.protocolErrors).toEqual([]);
    // The call record is finished right after the socket closes.
    const record = await eventually(async () => {
      const current = await callRecord(sid);
      expect(current.status).toBe('completed');
      return current;
    });
    expect(record.endReason).toBe('completed');
    const transcript = await api.get(`/v1/conversations/${record.conversationId}`, { token });
    const texts = (transcript.body.messages as { role: string; content: string }[]).map(
      (m) => `${m.role}: ${m.content}`,
    );
    expect(texts.join('\n')).toMatch(/order number/i);
    expect(texts.join('\n')).toMatch(/10420/);
    expect(record.turns.length).toBeGreaterThanOrEqual(4);
    const spoken = record.turns.filter((turn: { callerText: string | null }) => turn.callerText);
    expect(spoken.length).toBeGreaterThanOrEqual(3);
    const measured = record.turns.filter(
      (turn: { latencyMs: { totalResponse: number | null } }) => turn.latencyMs.totalResponse !== null,
    );
    expect(measured.length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('barge-in clears Twilio, stops the reply and keeps only what the caller heard', async () => {
    const agent = await createVoiceAgent(api, token, { voice: { bargeIn: { minSpeechMs: 200 } } });
    const { caller, sid } = await call(agent.number);
    // Wait until the long statement is playing, then talk over it.
    await caller.waitFor(() => caller.heardAudio().length > 8 * 3000, 30_000, 'statement playing');
    caller.sendAudio(await speech('no no, stop, tell me more about deliveries please'));
    await caller.waitFor(() => caller.clears.length > 0, 10_000, 'clear');
    const record = await eventually(async () => {
      const current = await callRecord(sid);
      expect(current.turns.some((turn: { interrupted: boolean }) => turn.interrupted)).toBe(true);
      return current;
    });
    const interrupted = record.turns.find((turn: { interrupted: boolean }) => turn.interrupted);
    expect(interrupted.bargeInReactionMs).toBeGreaterThan(0);
    expect(interrupted.heardText.length).toBeLessThan(interrupted.assistantText.length);
    const transcript = await api.get(`/v1/conversations/${record.conversationId}`, { token });
    const statement = (
      transcript.body.messages as { content: string; metadata: Record<string, unknown> }[]
    ).find((message) => message.metadata.interrupted === true);
    expect(statement, transcript.text).toBeDefined();
    expect(statement?.metadata.spokenText).toBe(LONG_STATEMENT);
    expect(statement?.content.length).toBeLessThan(LONG_STATEMENT.length);
    expect(LONG_STATEMENT.startsWith(statement?.content ?? '')).toBe(true);
    await caller.hangup();
  }, 120_000);
});
