import { afterEach, describe, expect, it } from 'vitest';
import { delay, frames, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import {
  type DeepgramServer,
  type DeepgramServerOptions,
  startDeepgramServer,
} from '../../../test/support/voice-servers/deepgram-server.ts';
import {
  createDeepgramSpeechToText,
  type DeepgramSpeechToTextOptions,
  deepgramListenUrl,
} from './deepgram-stt.ts';
import type { SpeechToTextSession } from './ports.ts';

const servers: DeepgramServer[] = [];
const sessions: SpeechToTextSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  serverOptions: DeepgramServerOptions = {},
  adapterOptions: Partial<DeepgramSpeechToTextOptions> = {},
  openOptions: { language?: string; hints?: string[] } = {},
) {
  const server = await startDeepgramServer({ apiKey: 'dg-test', ...serverOptions });
  servers.push(server);
  const stt = createDeepgramSpeechToText({ apiKey: 'dg-test', baseURL: server.url, ...adapterOptions });
  const session = await stt.open(openOptions);
  sessions.push(session);
  return { server, stt, session };
}

const speak = (session: SpeechToTextSession, ms: number) => {
  for (const frame of frames(voicedMulaw(ms))) session.write(frame);
};

describe('Deepgram speech-to-text', () => {
  it('streams μ-law, reports partials and joins the final segments up to from_finalize', async () => {
    const { server, session } = await setup(
      { transcripts: [['Check my order,', 'please.']], interimEveryMs: 200 },
      {},
      { language: 'en-US', hints: ['check my order', 'billing'] },
    );
    const partials: string[] = [];
    session.onPartial = (text) => partials.push(text);
    speak(session, 1000);
    await expect(session.finalize()).resolves.toEqual({
      text: 'Check my order, please.',
      confidence: 0.97,
      durationMs: 1000,
    });
    const [connection] = server.connections;
    expect(connection?.audioBytes).toBe(8000);
    expect(Object.fromEntries(connection?.query ?? [])).toMatchObject({
      model: 'nova-3',
      encoding: 'mulaw',
      sample_rate: '8000',
      channels: '1',
      interim_results: 'true',
      punctuate: 'true',
      smart_format: 'true',
      language: 'en-US',
    });
    expect(connection?.query.getAll('keyterm')).toEqual(['check my order', 'billing']);
    expect(partials.slice(0, 3)).toEqual(['Check', 'Check my', 'Check my order,']);
    expect(partials.at(-1)).toBe('Check my order, please.');
  });

  it('keeps turns apart; a silent turn answers at once without a Finalize', async () => {
    const { server, session } = await setup({ transcripts: ['yes', 'order status'] });
    speak(session, 400);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'yes', durationMs: 400 });
    speak(session, 600);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'order status', durationMs: 600 });
    await expect(session.finalize()).resolves.toEqual({ text: '', durationMs: 0 });
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]?.finalizes).toBe(2);
  });

  it('survives malformed and unknown messages', async () => {
    const { session } = await setup({ transcripts: ['billing'], sendMalformed: true });
    speak(session, 300);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'billing' });
  });

  it('times out a finalize that gets no answer, and keeps its late results out of the next turn', async () => {
    const { session } = await setup(
      { transcripts: ['first turn', 'second turn'], finalizeDelayMs: (index) => (index === 0 ? 400 : 10) },
      { finalizeTimeoutMs: 300 },
    );
    speak(session, 300);
    const started = Date.now();
    await expect(session.finalize()).rejects.toMatchObject({
      code: 'provider_timeout',
      provider: 'deepgram',
    });
    expect(Date.now() - started).toBeLessThan(600);
    speak(session, 300);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'second turn', durationMs: 300 });

    const silent = await setup({ ignoreFinalize: true }, { finalizeTimeoutMs: 150 });
    speak(silent.session, 200);
    await expect(silent.session.finalize()).rejects.toMatchObject({ code: 'provider_timeout' });
  });

  it('stops waiting when the finalize signal aborts', async () => {
    const { session } = await setup({ finalizeDelayMs: 2000 });
    speak(session, 200);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await expect(session.finalize(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('refuses a bad key as provider_auth and reports an unreachable server', async () => {
    const server = await startDeepgramServer({ apiKey: 'dg-test' });
    servers.push(server);
    const wrongKey = createDeepgramSpeechToText({ apiKey: 'dg-wrong', baseURL: server.url });
    await expect(wrongKey.open({})).rejects.toMatchObject({
      code: 'provider_auth',
      message: 'Deepgram refused the API key (401): Invalid credentials.',
    });
    expect(server.connections).toHaveLength(0);
    const nowhere = createDeepgramSpeechToText({ apiKey: 'dg-test', baseURL: 'ws://127.0.0.1:1' });
    await expect(nowhere.open({})).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('sends KeepAlive while the caller is silent, so the connection survives the idle limit', async () => {
    const { server, session } = await setup(
      { idleTimeoutMs: 300, transcripts: ['still here'] },
      { keepAliveIntervalMs: 100 },
    );
    speak(session, 100);
    await delay(800);
    expect(server.connections[0]?.closed).toBeUndefined();
    expect(server.connections[0]?.keepAlives).toBeGreaterThanOrEqual(3);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'still here' });
    expect(server.connections).toHaveLength(1);
  });

  it('reconnects on the next audio after the connection dropped; a finalize in flight fails', async () => {
    const { server, session } = await setup({ transcripts: ['lost', 'back again'], finalizeDelayMs: 500 });
    speak(session, 200);
    const inFlight = session.finalize();
    await expect.poll(() => server.connections[0]?.finalizes).toBe(1);
    server.dropConnections();
    await expect(inFlight).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: /closed the stream \(1006/,
    });
    speak(session, 400);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'back again', durationMs: 400 });
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]?.audioBytes).toBe(3200);
  });

  it('close sends CloseStream; the session then refuses to finalize and ignores audio', async () => {
    const { server, session } = await setup();
    speak(session, 100);
    session.close();
    await expect.poll(() => server.connections[0]?.closed).toEqual({ code: 1000, by: 'server' });
    expect(server.connections[0]?.messages.at(-1)).toEqual({ type: 'CloseStream' });
    expect(() => speak(session, 100)).not.toThrow();
    await expect(session.finalize()).rejects.toMatchObject({ code: 'provider_failed' });
  });

  it('builds the listen URL for other models and http base URLs', () => {
    const url = new URL(
      deepgramListenUrl('https://dg.example.com', 'nova-2-phonecall', { hints: ['refund'] }),
    );
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/v1/listen');
    expect(url.searchParams.getAll('keywords')).toEqual(['refund']);
    expect(url.searchParams.has('keyterm')).toBe(false);
  });
});
