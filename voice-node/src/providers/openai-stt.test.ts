import { afterEach, describe, expect, it } from 'vitest';
import { frames, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import {
  type OpenAIAudioServer,
  type OpenAIAudioServerOptions,
  startOpenAIAudioServer,
} from '../../../test/support/voice-servers/openai-audio-server.ts';
import { mulawDecode as decodeMulaw } from '../audio/index.ts';
import { createWavReader } from './codec.ts';
import { createOpenAISpeechToText, type OpenAISpeechToTextOptions } from './openai-stt.ts';
import { VoiceProviderError } from './ports.ts';

const servers: OpenAIAudioServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  serverOptions: OpenAIAudioServerOptions = {},
  adapterOptions: Partial<OpenAISpeechToTextOptions> = {},
) {
  const server = await startOpenAIAudioServer({ apiKey: 'sk-test', ...serverOptions });
  servers.push(server);
  const stt = createOpenAISpeechToText({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, ...adapterOptions });
  return { server, stt };
}

const rms = (samples: Int16Array) =>
  Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);

describe('OpenAI speech-to-text', () => {
  it('sends each utterance as a 16 kHz WAV with language and hints, and returns the text', async () => {
    const { server, stt } = await setup({ transcripts: ['  Check my order. '] });
    const session = await stt.open({ language: 'en-US', hints: ['yes', 'no', 'check my order'] });
    const audio = voicedMulaw(1000);
    for (const frame of frames(audio)) session.write(frame);

    await expect(session.finalize()).resolves.toEqual({ text: 'Check my order.', durationMs: 1000 });
    const [request] = server.requests.transcriptions;
    expect(request).toMatchObject({
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      prompt: 'yes, no, check my order',
      fileName: 'utterance.wav',
      sampleRate: 16_000,
      durationMs: 1000,
    });
    // The upload is the caller's audio, upsampled, at the same level.
    const reader = createWavReader();
    const uploaded = reader.push(request?.audio ?? new Uint8Array());
    expect(uploaded.length).toBe(16_000);
    expect(rms(uploaded) / rms(decodeMulaw(audio))).toBeCloseTo(1, 1);
  });

  it('transcribes only what was written since the last finalize; a silent turn costs no request', async () => {
    const { server, stt } = await setup({ transcripts: ['yes', 'no'] }, { model: 'whisper-1' });
    const session = await stt.open({});
    for (const frame of frames(voicedMulaw(500))) session.write(frame);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'yes', durationMs: 500 });
    for (const frame of frames(voicedMulaw(300))) session.write(frame);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'no', durationMs: 300 });
    await expect(session.finalize()).resolves.toEqual({ text: '', durationMs: 0 });
    expect(server.requests.transcriptions.map((request) => [request.model, request.durationMs])).toEqual([
      ['whisper-1', 500],
      ['whisper-1', 300],
    ]);
    expect(server.requests.transcriptions[0]).not.toHaveProperty('prompt');
  });

  it('reports a refused key as provider_auth and a server error as provider_failed', async () => {
    const { server } = await setup();
    const wrongKey = createOpenAISpeechToText({ apiKey: 'sk-wrong', baseURL: `${server.url}/v1` });
    const session = await wrongKey.open({});
    session.write(voicedMulaw(200));
    const refused = await session.finalize().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VoiceProviderError);
    expect(refused).toMatchObject({ code: 'provider_auth', provider: 'openai' });
    expect((refused as Error).message).toMatch(/Incorrect API key/);

    const { stt } = await setup();
    const good = await stt.open({});
    const owner = servers.at(-1);
    owner?.failNext({ status: 500 });
    good.write(voicedMulaw(200));
    await expect(good.finalize()).rejects.toMatchObject({ code: 'provider_failed', message: /500/ });
    owner?.failNext({ status: 503, body: '<html>upstream overloaded</html>' });
    good.write(voicedMulaw(200));
    await expect(good.finalize()).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('times out a hanging request and reports an unreachable server as unavailable', async () => {
    const { server, stt } = await setup({}, { timeoutMs: 200 });
    server.failNext({ hangAfterChunks: 0 });
    const session = await stt.open({});
    session.write(voicedMulaw(200));
    const started = Date.now();
    await expect(session.finalize()).rejects.toMatchObject({ code: 'provider_timeout' });
    expect(Date.now() - started).toBeLessThan(2000);

    await server.close();
    servers.splice(servers.indexOf(server), 1);
    session.write(voicedMulaw(200));
    await expect(session.finalize()).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('stops waiting when the finalize signal aborts', async () => {
    const { stt } = await setup({ transcripts: ['late'], transcriptionDelayMs: 5000 });
    const session = await stt.open({});
    session.write(voicedMulaw(300));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(session.finalize(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ignores writes after close and refuses to finalize a closed session', async () => {
    const { server, stt } = await setup();
    const session = await stt.open({});
    session.close();
    expect(() => session.write(voicedMulaw(100))).not.toThrow();
    await expect(session.finalize()).rejects.toBeInstanceOf(VoiceProviderError);
    expect(server.requests.transcriptions).toHaveLength(0);
  });
});
