import { abortReason, type TextToSpeech, VoiceProviderError, voiceErrorCodeForStatus } from './ports.ts';

/**
 * Text-to-speech through ElevenLabs' streaming endpoint over plain `fetch`. ElevenLabs can render
 * `ulaw_8000` itself, exactly what Twilio plays, so the response body is passed through chunk by
 * chunk with no conversion: the first bytes reach the caller as soon as ElevenLabs sends them.
 */

/** Settings of {@link createElevenLabsTextToSpeech}. */
export interface ElevenLabsTextToSpeechOptions {
  apiKey: string;
  /** Default `https://api.elevenlabs.io`. */
  baseURL?: string;
  /** Default `eleven_flash_v2_5` (the low-latency model). */
  model?: string;
  /** Default voice id; `synthesize({ voice })` overrides it. Default "Rachel" (a premade voice). */
  voice?: string;
  /** Longest wait for the response to start, and then between two chunks. Default 10 s. */
  stallTimeoutMs?: number;
}

const DEFAULT_VOICE = '21m00Tcm4TlvDq8ikWAM';

/** ElevenLabs' explanation from an error body (`{ detail: { message } }`, `{ detail: [{ msg }] }` or text). */
function vendorMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const detail = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'detail') : undefined;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((item: unknown) =>
          typeof item === 'object' && item !== null ? String(Reflect.get(item, 'msg')) : '',
        )
        .join('; ');
    }
    if (typeof detail === 'object' && detail !== null) {
      const message = Reflect.get(detail, 'message');
      if (typeof message === 'string') return message;
    }
  } catch {
    // not JSON: an HTML page from a proxy, say
  }
  return (
    body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200) || '(empty body)'
  );
}

/** Creates the provider. */
export function createElevenLabsTextToSpeech(options: ElevenLabsTextToSpeechOptions): TextToSpeech {
  const baseURL = (options.baseURL ?? 'https://api.elevenlabs.io').replace(/\/+$/, '');
  const model = options.model ?? 'eleven_flash_v2_5';
  const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;

  async function* synthesize(
    text: string,
    voice: string,
    language: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
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
          'elevenlabs',
          `ElevenLabs stalled: no audio for ${stallTimeoutMs} ms`,
          {
            cause: error,
          },
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      return new VoiceProviderError(
        'provider_unavailable',
        'elevenlabs',
        `ElevenLabs could not be reached: ${message}`,
        {
          cause: error,
        },
      );
    };
    try {
      watch();
      let response: Response;
      try {
        response = await fetch(
          `${baseURL}/v1/text-to-speech/${encodeURIComponent(voice)}/stream?output_format=ulaw_8000`,
          {
            method: 'POST',
            headers: {
              'xi-api-key': options.apiKey,
              'content-type': 'application/json',
              accept: 'audio/basic',
            },
            body: JSON.stringify({
              text,
              model_id: model,
              // Only the v2.5 models take a language; the others detect it.
              ...(language && /v2_5/.test(model)
                ? { language_code: language.split(/[-_]/)[0]?.toLowerCase() }
                : {}),
            }),
            signal: controller.signal,
          },
        );
      } catch (error) {
        throw failure(error);
      }
      if (!response.ok) {
        const body = await response.text().catch(() => '');
        const code = voiceErrorCodeForStatus(response.status);
        const prefix =
          code === 'provider_auth' ? 'ElevenLabs refused the API key' : 'ElevenLabs speech failed';
        throw new VoiceProviderError(
          code,
          'elevenlabs',
          `${prefix} (${response.status}): ${vendorMessage(body)}`,
        );
      }
      const reader = response.body?.getReader();
      if (!reader)
        throw new VoiceProviderError('provider_failed', 'elevenlabs', 'ElevenLabs returned no audio body');
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
          if (chunk.value.length > 0) yield chunk.value;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    id: 'elevenlabs',
    synthesize: (text, { voice, language, signal }) =>
      synthesize(text, voice ?? options.voice ?? DEFAULT_VOICE, language, signal),
  };
}
