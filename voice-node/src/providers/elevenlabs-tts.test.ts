import { afterEach, describe, expect, it } from 'vitest';
import { collectAudio, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import {
  type ElevenLabsServer,
  type ElevenLabsServerOptions,
  startElevenLabsServer,
} from '../../../test/support/voice-servers/elevenlabs-server.ts';
import { createElevenLabsTextToSpeech, type ElevenLabsTextToSpeechOptions } from './elevenlabs-tts.ts';

const servers: ElevenLabsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  serverOptions: ElevenLabsServerOptions = {},
  adapterOptions: Partial<ElevenLabsTextToSpeechOptions> = {},
) {
  const server = await startElevenLabsServer({ apiKey: 'xi-test', ...serverOptions });
  servers.push(server);
  const tts = createElevenLabsTextToSpeech({ apiKey: 'xi-test', baseURL: server.url, ...adapterOptions });
  return { server, tts };
}

const TEXT = 'Thanks for calling.'; // 19 characters → 1140 ms
const live = () => new AbortController().signal;

describe('ElevenLabs text-to-speech', () => {
  it('streams the vendor μ-law through unchanged, with the model, voice and language', async () => {
    const { server, tts } = await setup({}, { voice: 'voice-default' });
    const { audio, chunks } = await collectAudio(tts.synthesize(TEXT, { signal: live(), language: 'es-MX' }));
    expect(Buffer.from(audio).equals(Buffer.from(voicedMulaw(1140)))).toBe(true);
    expect(chunks).toBeGreaterThan(1);
    expect(server.requests[0]).toMatchObject({
      voiceId: 'voice-default',
      outputFormat: 'ulaw_8000',
      text: TEXT,
      modelId: 'eleven_flash_v2_5',
      languageCode: 'es',
    });
    await collectAudio(tts.synthesize(TEXT, { signal: live(), voice: 'other voice' }));
    expect(server.requests[1]?.voiceId).toBe('other voice');
    expect(server.requests[1]).not.toHaveProperty('languageCode');
  });

  it('yields the first bytes before the server has finished', async () => {
    const { server, tts } = await setup({ chunkMs: 100, chunkIntervalMs: 40 });
    let finishedAtFirstChunk: number | undefined = -1;
    let first = true;
    for await (const _chunk of tts.synthesize(TEXT, { signal: live() })) {
      if (first) finishedAtFirstChunk = server.requests[0]?.finishedAt;
      first = false;
    }
    expect(finishedAtFirstChunk).toBeUndefined();
    expect(server.requests[0]?.finishedAt).toBeTypeOf('number');
  });

  it('aborting stops the iteration promptly and closes the request', async () => {
    const { server, tts } = await setup({ chunkMs: 100, chunkIntervalMs: 400 });
    const controller = new AbortController();
    let abortCalledAt = 0;
    const outcome = await (async () => {
      for await (const _chunk of tts.synthesize(TEXT, { signal: controller.signal })) {
        setTimeout(() => {
          abortCalledAt = Date.now();
          controller.abort();
        }, 10);
      }
    })().then(
      () => undefined,
      (error: unknown) => ({ error, at: Date.now() }),
    );
    expect(outcome?.error).toMatchObject({ name: 'AbortError' });
    expect((outcome?.at ?? 0) - abortCalledAt).toBeLessThan(200); // not waiting for the next chunk (400 ms)
    await expect.poll(() => server.requests[0]?.clientClosed).toBe(true);
  });

  it("reports ElevenLabs' own error messages with the right codes", async () => {
    const { server, tts } = await setup({ voices: ['known'] }, { voice: 'known', stallTimeoutMs: 300 });
    const wrongKey = createElevenLabsTextToSpeech({ apiKey: 'nope', baseURL: server.url, voice: 'known' });
    await expect(collectAudio(wrongKey.synthesize(TEXT, { signal: live() }))).rejects.toMatchObject({
      code: 'provider_auth',
      provider: 'elevenlabs',
      message: 'ElevenLabs refused the API key (401): Invalid API key',
    });
    await expect(
      collectAudio(tts.synthesize(TEXT, { signal: live(), voice: 'ghost' })),
    ).rejects.toMatchObject({
      code: 'provider_failed',
      message: /A voice with the voice_id ghost was not found/,
    });
    await expect(collectAudio(tts.synthesize('   ', { signal: live() }))).rejects.toMatchObject({
      code: 'provider_failed',
      message: /Field required/,
    });
    server.failNext({ status: 500 });
    await expect(collectAudio(tts.synthesize(TEXT, { signal: live() }))).rejects.toMatchObject({
      code: 'provider_failed',
      message: /\(500\): An internal server error occurred/,
    });
    server.failNext({ status: 503, body: '<html><h1>503 Service Temporarily Unavailable</h1></html>' });
    await expect(collectAudio(tts.synthesize(TEXT, { signal: live() }))).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: /503 Service Temporarily Unavailable/,
    });
    server.failNext({ hangAfterChunks: 2 });
    await expect(collectAudio(tts.synthesize(TEXT, { signal: live() }))).rejects.toMatchObject({
      code: 'provider_timeout',
    });
  });

  it('reports an unreachable server as unavailable', async () => {
    const { server, tts } = await setup();
    await server.close();
    servers.length = 0;
    await expect(collectAudio(tts.synthesize(TEXT, { signal: live() }))).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
  });
});
