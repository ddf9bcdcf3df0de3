import { z } from 'zod';
import { createDeepgramSpeechToText } from './deepgram-stt.ts';
import { createElevenLabsTextToSpeech } from './elevenlabs-tts.ts';
import { createEspeakTextToSpeech } from './espeak-tts.ts';
import { connectRealtime, type RealtimeConnectOptions, type RealtimeSession } from './openai-realtime.ts';
import { createOpenAISpeechToText } from './openai-stt.ts';
import { createOpenAITextToSpeech } from './openai-tts.ts';
import { createPocketsphinxSpeechToText } from './pocketsphinx-stt.ts';
import { isVoiceProviderError, type SpeechToText, type TextToSpeech, VoiceProviderError } from './ports.ts';

/**
 * Which speech providers an agent uses, and the one place that turns that choice plus the node's
 * credentials into adapters. The default is the offline pair (pocketsphinx + espeak-ng), so an agent
 * with no voice settings works on a node with no keys. Adapters are built once per provider and model
 * and shared by every call (the offline recognizer's concurrency limit is therefore node-wide); the
 * agent's language and voice are applied per call on top.
 */

/** An agent's speech providers (its `config.voice.stt` / `.tts`); everything optional, local by default. */
export const VoiceProviderConfig = z.object({
  stt: z
    .object({
      provider: z.enum(['local', 'openai', 'deepgram']).default('local'),
      model: z.string().min(1).max(100).optional(),
      language: z.string().min(2).max(20).optional(),
    })
    .prefault({}),
  tts: z
    .object({
      provider: z.enum(['local', 'openai', 'elevenlabs']).default('local'),
      voice: z.string().min(1).max(100).optional(),
      model: z.string().min(1).max(100).optional(),
    })
    .prefault({}),
});
export type VoiceProviderConfig = z.output<typeof VoiceProviderConfig>;
/** What callers may pass: the config before defaults. */
export type VoiceProviderConfigInput = z.input<typeof VoiceProviderConfig>;

/** The node's vendor credentials (from its environment) and the offline tools' locations. */
export interface VoiceProviderCredentials {
  openai?: { apiKey: string; baseURL?: string; realtimeURL?: string };
  deepgram?: { apiKey: string; baseURL?: string };
  elevenlabs?: { apiKey: string; baseURL?: string };
  local?: {
    espeakBinary?: string;
    pocketsphinxBinary?: string;
    pocketsphinxModelDirectory?: string;
    /** Offline recognizers running at once on this node. Default: the number of CPUs. */
    maxConcurrentRecognizers?: number;
  };
}

/** See {@link createVoiceProviderRegistry}. */
export interface VoiceProviderRegistry {
  /** The adapters for an agent; throws VoiceProviderError `provider_unavailable` naming what is missing. */
  resolve(config: VoiceProviderConfigInput): { stt: SpeechToText; tts: TextToSpeech };
  /** Whether an agent's choice can work here (credentials set, offline tools installed); calls no vendor. */
  check(config: VoiceProviderConfigInput): Promise<{ ok: true } | { ok: false; message: string }>;
  /** A Realtime (speech-to-speech) session with the node's OpenAI credentials. */
  realtime(options: Omit<RealtimeConnectOptions, 'apiKey' | 'baseURL'>): Promise<RealtimeSession>;
}

const missing = (provider: string, vendor: string, variable: string) =>
  new VoiceProviderError('provider_unavailable', provider, `${vendor} is not configured: set ${variable}`);

function parseConfig(config: VoiceProviderConfigInput): VoiceProviderConfig {
  const parsed = VoiceProviderConfig.safeParse(config);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new VoiceProviderError(
    'provider_unavailable',
    'config',
    `invalid voice provider settings (${problems})`,
  );
}

/** Applies the agent's default language to every session. */
function withLanguage(stt: SpeechToText, language: string | undefined): SpeechToText {
  if (!language) return stt;
  return { id: stt.id, open: (options) => stt.open({ ...options, language: options.language ?? language }) };
}

/** Applies the agent's default voice to every line. */
function withVoice(tts: TextToSpeech, voice: string | undefined): TextToSpeech {
  if (!voice) return tts;
  return {
    id: tts.id,
    synthesize: (text, options) => tts.synthesize(text, { ...options, voice: options.voice ?? voice }),
  };
}

/** Builds the registry from the node's credentials. */
export function createVoiceProviderRegistry(credentials: VoiceProviderCredentials): VoiceProviderRegistry {
  const local = credentials.local ?? {};
  const espeak = createEspeakTextToSpeech({ ...(local.espeakBinary ? { binary: local.espeakBinary } : {}) });
  const pocketsphinx = createPocketsphinxSpeechToText({
    ...(local.pocketsphinxBinary ? { binary: local.pocketsphinxBinary } : {}),
    ...(local.pocketsphinxModelDirectory ? { modelDirectory: local.pocketsphinxModelDirectory } : {}),
    ...(local.maxConcurrentRecognizers ? { maxConcurrent: local.maxConcurrentRecognizers } : {}),
  });
  const cache = new Map<string, SpeechToText | TextToSpeech>();
  const cached = <T extends SpeechToText | TextToSpeech>(key: string, build: () => T): T => {
    const existing = cache.get(key);
    if (existing) return existing as T;
    const built = build();
    cache.set(key, built);
    return built;
  };

  const speechToText = (config: VoiceProviderConfig['stt']): SpeechToText => {
    const model = config.model;
    switch (config.provider) {
      case 'local':
        return pocketsphinx;
      case 'openai': {
        const openai = credentials.openai;
        if (!openai) throw missing('openai', 'OpenAI', 'OPENAI_API_KEY');
        return cached(`stt:openai:${model ?? ''}`, () =>
          createOpenAISpeechToText({ ...openai, ...(model ? { model } : {}) }),
        );
      }
      case 'deepgram': {
        const deepgram = credentials.deepgram;
        if (!deepgram) throw missing('deepgram', 'Deepgram', 'DEEPGRAM_API_KEY');
        return cached(`stt:deepgram:${model ?? ''}`, () =>
          createDeepgramSpeechToText({ ...deepgram, ...(model ? { model } : {}) }),
        );
      }
    }
  };

  const textToSpeech = (config: VoiceProviderConfig['tts']): TextToSpeech => {
    const model = config.model;
    switch (config.provider) {
      case 'local':
        return espeak;
      case 'openai': {
        const openai = credentials.openai;
        if (!openai) throw missing('openai', 'OpenAI', 'OPENAI_API_KEY');
        return cached(`tts:openai:${model ?? ''}`, () =>
          createOpenAITextToSpeech({
            apiKey: openai.apiKey,
            ...(openai.baseURL ? { baseURL: openai.baseURL } : {}),
            ...(model ? { model } : {}),
          }),
        );
      }
      case 'elevenlabs': {
        const elevenlabs = credentials.elevenlabs;
        if (!elevenlabs) throw missing('elevenlabs', 'ElevenLabs', 'ELEVENLABS_API_KEY');
        return cached(`tts:elevenlabs:${model ?? ''}`, () =>
          createElevenLabsTextToSpeech({ ...elevenlabs, ...(model ? { model } : {}) }),
        );
      }
    }
  };

  const resolve = (input: VoiceProviderConfigInput) => {
    const config = parseConfig(input);
    return {
      stt: withLanguage(speechToText(config.stt), config.stt.language),
      tts: withVoice(textToSpeech(config.tts), config.tts.voice),
    };
  };

  return {
    resolve,
    async check(input) {
      try {
        const config = parseConfig(input);
        const { stt } = resolve(config);
        if (config.stt.provider === 'local') {
          await pocketsphinx.ensureAvailable();
          (await stt.open({})).close(); // also refuses languages the offline model lacks
        }
        if (config.tts.provider === 'local') await espeak.ensureAvailable();
        return { ok: true };
      } catch (error) {
        if (isVoiceProviderError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },
    realtime(options) {
      const openai = credentials.openai;
      if (!openai) return Promise.reject(missing('openai', 'OpenAI', 'OPENAI_API_KEY'));
      return connectRealtime({
        ...options,
        apiKey: openai.apiKey,
        ...(openai.realtimeURL ? { baseURL: openai.realtimeURL } : {}),
      });
    },
  };
}
