import { afterEach, describe, expect, it } from 'vitest';
import { collectAudio, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import {
  type DeepgramServer,
  startDeepgramServer,
} from '../../../test/support/voice-servers/deepgram-server.ts';
import {
  type ElevenLabsServer,
  startElevenLabsServer,
} from '../../../test/support/voice-servers/elevenlabs-server.ts';
import {
  type OpenAIAudioServer,
  startOpenAIAudioServer,
} from '../../../test/support/voice-servers/openai-audio-server.ts';
import {
  type RealtimeServer,
  startRealtimeServer,
} from '../../../test/support/voice-servers/openai-realtime-server.ts';
import { VoiceProviderError } from './ports.ts';
import { createVoiceProviderRegistry, VoiceProviderConfig } from './registry.ts';

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((server) => server.close()));
});
const started = async <T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> => {
  const instance = await server;
  closers.push(instance);
  return instance;
};
const live = () => new AbortController().signal;

describe('voice provider registry', () => {
  it('defaults every agent to the offline pair', () => {
    expect(VoiceProviderConfig.parse({})).toEqual({ stt: { provider: 'local' }, tts: { provider: 'local' } });
    const { stt, tts } = createVoiceProviderRegistry({}).resolve({});
    expect([stt.id, tts.id]).toEqual(['pocketsphinx', 'espeak']);
  });

  it.each([
    [{ stt: { provider: 'openai' as const } }, 'OpenAI is not configured: set OPENAI_API_KEY'],
    [{ stt: { provider: 'deepgram' as const } }, 'Deepgram is not configured: set DEEPGRAM_API_KEY'],
    [{ tts: { provider: 'openai' as const } }, 'OpenAI is not configured: set OPENAI_API_KEY'],
    [{ tts: { provider: 'elevenlabs' as const } }, 'ElevenLabs is not configured: set ELEVENLABS_API_KEY'],
  ])('refuses %j without credentials, naming the setting', async (config, message) => {
    const registry = createVoiceProviderRegistry({});
    let thrown: unknown;
    try {
      registry.resolve(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VoiceProviderError);
    expect(thrown).toMatchObject({ code: 'provider_unavailable', message });
    await expect(registry.check(config)).resolves.toEqual({ ok: false, message });
  });

  it('refuses an unknown provider as invalid settings', async () => {
    const registry = createVoiceProviderRegistry({});
    const config = { stt: { provider: 'azure' } } as unknown as Parameters<typeof registry.resolve>[0];
    expect(() => registry.resolve(config)).toThrow(/invalid voice provider settings \(stt\.provider: /);
    await expect(registry.check(config)).resolves.toMatchObject({ ok: false, message: /stt\.provider/ });
  });

  it('checks that the offline tools are installed and speak the language', async () => {
    await expect(createVoiceProviderRegistry({}).check({})).resolves.toEqual({ ok: true });
    const broken = createVoiceProviderRegistry({ local: { espeakBinary: '/nonexistent/espeak-ng' } });
    await expect(broken.check({})).resolves.toEqual({
      ok: false,
      message: 'espeak-ng is not installed (apt-get install espeak-ng)',
    });
    await expect(
      createVoiceProviderRegistry({}).check({ stt: { language: 'de-DE' } }),
    ).resolves.toMatchObject({
      ok: false,
      message: /only the US English model/,
    });
    await expect(
      createVoiceProviderRegistry({ local: { pocketsphinxModelDirectory: '/nonexistent' } }).check({}),
    ).resolves.toMatchObject({ ok: false, message: /apt-get install pocketsphinx-en-us/ });
  });

  it("wires each cloud provider with the node's credentials and the agent's model, language and voice", async () => {
    const openai: OpenAIAudioServer = await started(
      startOpenAIAudioServer({ apiKey: 'sk-o', transcripts: ['hi'] }),
    );
    const deepgram: DeepgramServer = await started(
      startDeepgramServer({ apiKey: 'dg-k', transcripts: ['yes'] }),
    );
    const elevenlabs: ElevenLabsServer = await started(startElevenLabsServer({ apiKey: 'xi-k' }));
    const registry = createVoiceProviderRegistry({
      openai: { apiKey: 'sk-o', baseURL: `${openai.url}/v1` },
      deepgram: { apiKey: 'dg-k', baseURL: deepgram.url },
      elevenlabs: { apiKey: 'xi-k', baseURL: elevenlabs.url },
    });
    await expect(
      registry.check({ stt: { provider: 'deepgram' }, tts: { provider: 'elevenlabs' } }),
    ).resolves.toEqual({ ok: true });

    const first = registry.resolve({
      stt: { provider: 'deepgram', model: 'nova-2-phonecall', language: 'en-GB' },
      tts: { provider: 'elevenlabs', voice: 'agent-voice', model: 'eleven_turbo_v2_5' },
    });
    const session = await first.stt.open({ hints: ['refund'] });
    session.write(voicedMulaw(200));
    await expect(session.finalize()).resolves.toMatchObject({ text: 'yes' });
    session.close();
    expect(Object.fromEntries(deepgram.connections[0]?.query ?? [])).toMatchObject({
      model: 'nova-2-phonecall',
      language: 'en-GB',
      keywords: 'refund',
    });
    await collectAudio(first.tts.synthesize('Hi.', { signal: live() }));
    await collectAudio(first.tts.synthesize('Hi.', { signal: live(), voice: 'per-line' }));
    expect(elevenlabs.requests.map((request) => [request.voiceId, request.modelId])).toEqual([
      ['agent-voice', 'eleven_turbo_v2_5'],
      ['per-line', 'eleven_turbo_v2_5'],
    ]);

    const second = registry.resolve({
      stt: { provider: 'openai', model: 'whisper-1' },
      tts: { provider: 'openai', voice: 'cedar' },
    });
    const upload = await second.stt.open({});
    upload.write(voicedMulaw(300));
    await expect(upload.finalize()).resolves.toMatchObject({ text: 'hi' });
    await collectAudio(second.tts.synthesize('Hello.', { signal: live() }));
    expect(openai.requests.transcriptions[0]?.model).toBe('whisper-1');
    expect(openai.requests.speech[0]).toMatchObject({ voice: 'cedar', model: 'gpt-4o-mini-tts' });
  });

  it('opens Realtime sessions with the OpenAI credentials, or says what is missing', async () => {
    await expect(createVoiceProviderRegistry({}).realtime({ instructions: 'x' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: 'OpenAI is not configured: set OPENAI_API_KEY',
    });
    const server: RealtimeServer = await started(startRealtimeServer({ apiKey: 'sk-o' }));
    const registry = createVoiceProviderRegistry({ openai: { apiKey: 'sk-o', realtimeURL: server.url } });
    const session = await registry.realtime({ instructions: 'Be brief.', voice: 'sage' });
    session.close();
    expect(server.connections[0]?.session).toMatchObject({
      instructions: 'Be brief.',
      audio: { output: { voice: 'sage' } },
    });
  });
});
