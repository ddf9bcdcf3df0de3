import OpenAI, { toFile } from 'openai';
import { mulawDecode as decodeMulaw, encodeWav, resampleOnce as resample } from '../audio/index.ts';
import { openAIVoiceError } from './openai-errors.ts';
import { abortReason, type SpeechToText, type SpeechToTextSession, VoiceProviderError } from './ports.ts';

/**
 * Speech-to-text through OpenAI's batch transcription endpoint (`gpt-4o-mini-transcribe` by default):
 * the session buffers the caller's μ-law audio and, at the end of each turn, sends it as one 16 kHz
 * PCM16 WAV through the official SDK, with the flow's expected phrases as the prompt. No partials:
 * the endpoint answers once per utterance, which is what a turn-based phone flow needs.
 */

/** Settings of {@link createOpenAISpeechToText}. */
export interface OpenAISpeechToTextOptions {
  apiKey: string;
  /** The SDK's base URL, `/v1` included (default `https://api.openai.com/v1`). */
  baseURL?: string;
  /** Default `gpt-4o-mini-transcribe`. */
  model?: string;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
  /** Retries of failed requests. Default 0: a caller is waiting, the pipeline decides what next. */
  maxRetries?: number;
  /** Audio kept per utterance; later audio is dropped. Default 120 s. */
  maxUtteranceMs?: number;
}

/** Below this OpenAI rejects the file ("Audio file is too short"), so such turns are empty. */
const MIN_AUDIO_MS = 100;
const BYTES_PER_MS = 8;

/** ISO-639-1 from a BCP 47 tag (`en-US` → `en`), the form the endpoint accepts. */
export const primaryLanguage = (language: string) => language.split(/[-_]/)[0]?.toLowerCase() ?? language;

/** Creates the provider; one SDK client serves every call. */
export function createOpenAISpeechToText(options: OpenAISpeechToTextOptions): SpeechToText {
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: options.timeoutMs ?? 15_000,
    maxRetries: options.maxRetries ?? 0,
  });
  const model = options.model ?? 'gpt-4o-mini-transcribe';
  const maxBytes = (options.maxUtteranceMs ?? 120_000) * BYTES_PER_MS;

  return {
    id: 'openai',
    async open({ language, hints }) {
      let chunks: Uint8Array[] = [];
      let buffered = 0;
      let closed = false;
      const prompt = hints && hints.length > 0 ? hints.join(', ') : undefined;

      const session: SpeechToTextSession = {
        write(mulaw) {
          if (closed || buffered + mulaw.length > maxBytes) return;
          chunks.push(mulaw.slice()); // the caller may reuse its buffer
          buffered += mulaw.length;
        },
        async finalize(signal) {
          if (closed)
            throw new VoiceProviderError('provider_failed', 'openai', 'the transcription session is closed');
          const audio = new Uint8Array(buffered);
          let offset = 0;
          for (const chunk of chunks) {
            audio.set(chunk, offset);
            offset += chunk.length;
          }
          chunks = [];
          buffered = 0;
          const durationMs = audio.length / BYTES_PER_MS;
          if (durationMs < MIN_AUDIO_MS) return { text: '', durationMs };
          if (signal?.aborted) throw abortReason(signal);
          const wav = encodeWav(resample(decodeMulaw(audio), 8000, 16_000), 16_000);
          try {
            const result = await client.audio.transcriptions.create(
              {
                file: await toFile(wav, 'utterance.wav', { type: 'audio/wav' }),
                model,
                ...(language ? { language: primaryLanguage(language) } : {}),
                ...(prompt ? { prompt } : {}),
              },
              signal ? { signal } : {},
            );
            return { text: result.text.trim(), durationMs };
          } catch (error) {
            if (signal?.aborted) throw abortReason(signal);
            throw openAIVoiceError(error, 'transcription');
          }
        },
        close() {
          closed = true;
          chunks = [];
          buffered = 0;
        },
      };
      return session;
    },
  };
}
