import { afterEach, describe, expect, it } from 'vitest';
import { collectAudio, createVoicedSignal } from '../../../test/support/voice-servers/common.ts';
import {
  type OpenAIAudioServer,
  type OpenAIAudioServerOptions,
  startOpenAIAudioServer,
} from '../../../test/support/voice-servers/openai-audio-server.ts';
import { mulawDecode as decodeMulaw } from '../audio/index.ts';
import { createOpenAITextToSpeech, type OpenAITextToSpeechOptions } from './openai-tts.ts';

const servers: OpenAIAudioServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  serverOptions: OpenAIAudioServerOptions = {},
  adapterOptions: Partial<OpenAITextToSpeechOptions> = {},
) {
  const server = await startOpenAIAudioServer({ apiKey: 'sk-test', ...serverOptions });
  servers.push(server);
  const tts = createOpenAITextToSpeech({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, ...adapterOptions });
  return { server, tts };
}

const rms = (samples: Int16Array) =>
  Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / Math.max(1, samples.length));

const TEXT = 'Your order ships tomorrow.'; // 26 characters → 1560 ms at 60 ms a character

describe('OpenAI text-to-speech', () => {
  it('asks for PCM and turns it into 8 kHz μ-law of the same length and level', async () => {
    const { server, tts } = await setup();
    const { audio, chunks } = await collectAudio(
      tts.synthesize(TEXT, { signal: new AbortController().signal }),
    );
    expect(server.requests.speech[0]).toMatchObject({
      model: 'gpt-4o-mini-tts',
      voice: 'alloy',
      input: TEXT,
      responseFormat: 'pcm',
    });
    expect(audio.length).toBe(1560 * 8);
    expect(chunks).toBeGreaterThan(10); // 100 ms chunks from the server, converted one by one
    // Byte-order or odd-split mistakes turn the signal into loud noise; a wrong rate changes its length.
    const source = createVoicedSignal(24_000)(1560 * 24);
    expect(rms(decodeMulaw(audio)) / rms(source)).toBeCloseTo(1, 1);
  });

  it('yields the first audio before the server has finished sending', async () => {
    const { server, tts } = await setup(
      { chunkMs: 100, chunkIntervalMs: 40 },
      { voice: 'marin', model: 'gpt-4o-tts-custom' },
    );
    const signal = new AbortController().signal;
    let finishedAtFirstChunk: number | undefined = -1;
    let chunks = 0;
    for await (const chunk of tts.synthesize(TEXT, { signal, voice: 'cedar' })) {
      if (chunks === 0) finishedAtFirstChunk = server.requests.speech[0]?.finishedAt;
      expect(chunk.length).toBeGreaterThan(0);
      chunks += 1;
    }
    expect(finishedAtFirstChunk).toBeUndefined();
    expect(server.requests.speech[0]?.finishedAt).toBeTypeOf('number');
    expect(server.requests.speech[0]).toMatchObject({ voice: 'cedar', model: 'gpt-4o-tts-custom' });
  });

  it('aborting mid-stream ends the iteration at once and the HTTP stream with it', async () => {
    const { server, tts } = await setup({ chunkMs: 100, chunkIntervalMs: 400 });
    const controller = new AbortController();
    const iterator = tts.synthesize('A long answer that takes a while to say.', {
      signal: controller.signal,
    });
    const received: number[] = [];
    let abortCalledAt = 0;
    const consume = (async () => {
      for await (const chunk of iterator) {
        received.push(chunk.length);
        if (received.length === 2) {
          setTimeout(() => {
            abortCalledAt = Date.now();
            controller.abort();
          }, 0);
        }
      }
    })();
    const abortedAt = await consume.then(
      () => undefined,
      (error: unknown) => ({ error, at: Date.now() }),
    );
    expect(abortedAt?.error).toMatchObject({ name: 'AbortError' });
    expect((abortedAt?.at ?? 0) - abortCalledAt).toBeLessThan(200); // not waiting for the next chunk (400 ms)
    expect(received).toHaveLength(2);
    await expect.poll(() => server.requests.speech[0]?.clientClosed).toBe(true);
    expect(server.requests.speech[0]?.finishedAt).toBeUndefined();
  });

  it('a listener that stops early (barge-in) closes the stream too', async () => {
    const { server, tts } = await setup({ chunkMs: 100, chunkIntervalMs: 50 });
    for await (const _chunk of tts.synthesize(TEXT, { signal: new AbortController().signal })) break;
    await expect.poll(() => server.requests.speech[0]?.clientClosed).toBe(true);
  });

  it('fails with the right code for a refused key, a 5xx, an HTML error page and a stalled stream', async () => {
    const { server, tts } = await setup({ chunkIntervalMs: 0 }, { stallTimeoutMs: 300 });
    const signal = new AbortController().signal;
    const wrongKey = createOpenAITextToSpeech({ apiKey: 'sk-nope', baseURL: `${server.url}/v1` });
    await expect(collectAudio(wrongKey.synthesize(TEXT, { signal }))).rejects.toMatchObject({
      code: 'provider_auth',
      message: /Incorrect API key/,
    });
    server.failNext({ status: 500 });
    await expect(collectAudio(tts.synthesize(TEXT, { signal }))).rejects.toMatchObject({
      code: 'provider_failed',
    });
    server.failNext({ status: 502, body: '<html><body>Bad gateway</body></html>' });
    await expect(collectAudio(tts.synthesize(TEXT, { signal }))).rejects.toMatchObject({
      code: 'provider_unavailable',
    });

    server.failNext({ hangAfterChunks: 3 });
    let yielded = 0;
    const started = Date.now();
    const stalled = await (async () => {
      for await (const _chunk of tts.synthesize(TEXT, { signal })) yielded += 1;
    })().catch((error: unknown) => error);
    expect(stalled).toMatchObject({ code: 'provider_timeout', provider: 'openai' });
    expect(yielded).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects at once when the signal is already aborted, without a request', async () => {
    const { server, tts } = await setup();
    await expect(collectAudio(tts.synthesize(TEXT, { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(server.requests.speech).toHaveLength(0);
  });
});
