import OpenAI from 'openai';
import { createResampler, mulawEncode as encodeMulaw } from '../audio/index.ts';
import { createPcm16Reader } from './codec.ts';
import { openAIVoiceError } from './openai-errors.ts';
import { abortReason, type TextToSpeech, VoiceProviderError } from './ports.ts';

/**
 * Text-to-speech through OpenAI's speech endpoint (`gpt-4o-mini-tts` by default) via the official
 * SDK. It asks for raw 24 kHz s16le PCM, the only format that can be converted while it streams, and
 * turns each chunk into 8 kHz μ-law as it arrives (sample pairs split across chunks and the
 * resampler's state carry over), so the caller hears the first words before OpenAI has finished.
 * The endpoint has no language parameter: the model speaks the language of the text.
 */

/** Settings of {@link createOpenAITextToSpeech}. */
export interface OpenAITextToSpeechOptions {
  apiKey: string;
  /** The SDK's base URL, `/v1` included (default `https://api.openai.com/v1`). */
  baseURL?: string;
  /** Default `gpt-4o-mini-tts`. */
  model?: string;
  /** Default `alloy`; `synthesize({ voice })` overrides it. */
  voice?: string;
  /** Style instructions for gpt-4o-mini-tts ("speak warmly and briskly"). */
  instructions?: string;
  /** Longest wait for the response to start, and then between two chunks. Default 10 s. */
  stallTimeoutMs?: number;
  /** Retries of failed requests. Default 0: a caller is waiting, the pipeline decides what next. */
  maxRetries?: number;
}

const SOURCE_RATE = 24_000;

/** Creates the provider; one SDK client serves every call. */
export function createOpenAITextToSpeech(options: OpenAITextToSpeechOptions): TextToSpeech {
  const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: stallTimeoutMs,
    maxRetries: options.maxRetries ?? 0,
  });
  const model = options.model ?? 'gpt-4o-mini-tts';

  async function* synthesize(text: string, voice: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortReason(signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, stallTimeoutMs);
    };
    const failure = (error: unknown) => {
      if (signal.aborted) return abortReason(signal);
      if (stalled) {
        return new VoiceProviderError(
          'provider_timeout',
          'openai',
          `OpenAI speech stalled: no audio for ${stallTimeoutMs} ms`,
          { cause: error },
        );
      }
      return openAIVoiceError(error, 'speech');
    };
    try {
      watch();
      let response: Response;
      try {
        response = await client.audio.speech.create(
          {
            model,
            voice,
            input: text,
            response_format: 'pcm',
            ...(options.instructions ? { instructions: options.instructions } : {}),
          },
          { signal: controller.signal },
        );
      } catch (error) {
        throw failure(error);
      }
      const reader = response.body?.getReader();
      if (!reader)
        throw new VoiceProviderError('provider_failed', 'openai', 'OpenAI speech returned no audio body');
      const pcm = createPcm16Reader();
      const resampler = createResampler(SOURCE_RATE, 8000);
      try {
        for (;;) {
          watch();
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (error) {
            throw failure(error);
          }
          clearTimeout(timer); // a slow listener is not a stalled provider
          if (chunk.done) break;
          const samples = resampler.process(pcm.push(chunk.value));
          if (samples.length > 0) yield encodeMulaw(samples);
        }
        const tail = resampler.flush();
        if (tail.length > 0) yield encodeMulaw(tail);
      } finally {
        // Ends the HTTP stream when the listener stops early (barge-in) or anything failed.
        await reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    id: 'openai',
    synthesize: (text, { voice, signal }) => synthesize(text, voice ?? options.voice ?? 'alloy', signal),
  };
}
