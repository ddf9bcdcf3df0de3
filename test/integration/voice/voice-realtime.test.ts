import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget } from '../../support/app-target.ts';
import type { Client } from '../../support/client.ts';
import { type FakeTwilio, startFakeTwilio } from '../../support/twilio/fake-twilio.ts';
import { voicedMulaw } from '../../support/voice-servers/common.ts';
import {
  type RealtimeServer,
  startRealtimeServer,
} from '../../support/voice-servers/openai-realtime-server.ts';
import { PUBLIC_BASE_URL, startVoiceTarget, type VoiceTarget } from '../../support/voice-target.ts';
import { createVoiceAgent, demoOwner } from './voice-helpers.ts';

const GREETING =
  'Hello and welcome to the realtime line. I can help you with orders, returns, deliveries, store hours and much more, so tell me what you need today.';

/**
 * Speech-to-speech through the OpenAI Realtime API: a local server speaking the GA wire protocol
 * (server VAD on the appended μ-law, `response.output_audio.delta` in audio/pcmu) stands in for OpenAI.
 */
describe('voice calls on the OpenAI Realtime pipeline', () => {
  let app: AppTarget;
  let voice: VoiceTarget;
  let twilio: FakeTwilio;
  let realtime: RealtimeServer;
  let api: Client;
  let token: string;

  beforeAll(async () => {
    app = await createAppTarget('postgres');
    realtime = await startRealtimeServer({
      apiKey: 'sk-realtime-test',
      replies: [GREETING, 'Sure, what is the order number?'],
      userTranscripts: ['where is my order'],
      // Generated slower than real time, so the greeting is still being generated when the caller talks.
      deltaMs: 20,
      deltaIntervalMs: 30,
    });
    twilio = await startFakeTwilio({
      resolveStreamUrl: (url) => url.replace(/^wss:\/\/[^/]+/, `ws://127.0.0.1:${voice.port}`),
      resolveWebhookUrl: (url) => url.replace(PUBLIC_BASE_URL, `http://127.0.0.1:${voice.port}`),
    });
    voice = await startVoiceTarget(app, {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      OPENAI_API_KEY: 'sk-realtime-test',
      OPENAI_REALTIME_URL: realtime.url,
    });
    ({ api, token } = await demoOwner(app));
  });

  afterAll(async () => {
    await voice?.close();
    await twilio?.close();
    await realtime?.close();
    await app?.close();
  });

  it('greets, and on barge-in clears Twilio, truncates the item at what was heard and cancels', async () => {
    const agent = await createVoiceAgent(api, token, {
      voice: { pipeline: 'realtime', realtime: { instructions: 'You are the realtime test agent.' } },
    });
    const placed = await twilio.inboundCall({
      voiceUrl: `${PUBLIC_BASE_URL}/twilio/voice`,
      from: '+15555550123',
      to: agent.number,
    });
    const caller = await twilio.waitForMediaCaller(placed.sid, 10_000);
    // The greeting plays for a while, then the caller talks over it.
    await caller.waitFor(() => caller.heardAudio().length > 8 * 1500, 20_000, 'greeting playing');
    caller.sendAudio(voicedMulaw(800));
    await caller.waitFor(() => caller.clears.length > 0, 10_000, 'clear');
    const connection = realtime.connections[0];
    expect(connection).toBeDefined();
    const session = connection?.clientEvents.find((event) => event.type === 'session.update');
    expect(JSON.stringify(session)).toContain('audio/pcmu');
    expect(JSON.stringify(session)).toContain('You are the realtime test agent.');
    await caller.waitFor(
      () => Boolean(connection?.clientEvents.some((event) => event.type === 'conversation.item.truncate')),
      5000,
      'truncate',
    );
    const truncate = connection?.clientEvents.find(
      (event) => event.type === 'conversation.item.truncate',
    ) as {
      audio_end_ms: number;
      content_index: number;
    };
    const heardMs = (caller.heardAudio().length / 8) | 0;
    expect(truncate.content_index).toBe(0);
    expect(truncate.audio_end_ms).toBeGreaterThan(0);
    // What was heard when the clear arrived (marks every 100 ms): never more than what played.
    expect(truncate.audio_end_ms).toBeLessThanOrEqual(heardMs + 100);
    // Generation stopped: the server's VAD cancelled the response still being generated.
    const cancelled = connection?.serverEvents.filter(
      (event) => event.type === 'response.done' && JSON.stringify(event).includes('"cancelled"'),
    );
    expect(cancelled?.length).toBeGreaterThan(0);
    // The server did not refuse the truncation (it errors when audio_end_ms exceeds the item's audio).
    const errors = connection?.serverEvents.filter((event) => event.type === 'error') ?? [];
    expect(errors, JSON.stringify(errors)).toEqual([]);
    // Caller audio reached the model untouched (μ-law passthrough).
    expect(connection?.clientEvents.some((event) => event.type === 'input_audio_buffer.append')).toBe(true);
    await caller.hangup();
  }, 60_000);
});
