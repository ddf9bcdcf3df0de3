/**
 * The speech ports of the phone agent: speech-to-text and text-to-speech, chosen per agent (see
 * registry.ts). The call side always speaks G.711 μ-law at 8 kHz mono (Twilio Media Streams), so both
 * ports take and give μ-law and each adapter converts to whatever its vendor wants. Failures of a
 * provider surface as one error class with a small closed set of codes, so the call pipeline can
 * decide (fall back, apologise, hang up) without knowing vendors.
 */

/** The final transcript of one caller utterance. */
export interface Transcript {
  text: string;
  /** 0..1 when the provider reports one. */
  confidence?: number;
  /** Length of the audio the transcript covers. */
  durationMs: number;
}

/** One call's recognizer: audio goes in as it arrives, a transcript comes out at each end of turn. */
export interface SpeechToTextSession {
  /** Caller audio (μ-law 8 kHz) of the current utterance, in order; called every 20 ms. Must not block or throw. */
  write(mulaw: Uint8Array): void;
  /** End of the caller's turn: resolves the final transcript of everything written since the last finalize. */
  finalize(signal?: AbortSignal): Promise<Transcript>;
  /** Partial transcripts, if the provider streams them (optional listener). */
  onPartial?: (text: string) => void;
  close(): void;
}

/** A speech-to-text provider; `open` once per call. */
export interface SpeechToText {
  readonly id: string;
  open(options: { language?: string; hints?: string[] }): Promise<SpeechToTextSession>;
}

/** A text-to-speech provider. */
export interface TextToSpeech {
  readonly id: string;
  /**
   * Streams μ-law 8 kHz audio of `text` as it is produced; first bytes as early as the provider allows.
   * Aborting the signal stops the request/process promptly; the iteration then rejects with the
   * signal's reason.
   */
  synthesize(
    text: string,
    options: { voice?: string; language?: string; signal: AbortSignal },
  ): AsyncIterable<Uint8Array>;
}

/**
 * - `provider_unavailable`: not configured, not installed, unreachable, overloaded (429/502/503): try
 *   another provider or later;
 * - `provider_failed`: the provider answered but the request failed (4xx/500, a broken stream);
 * - `provider_auth`: the credentials were refused (401/403);
 * - `provider_timeout`: no answer, or the stream stalled, within the adapter's limit.
 */
export type VoiceProviderErrorCode =
  | 'provider_unavailable'
  | 'provider_failed'
  | 'provider_auth'
  | 'provider_timeout';

/** A speech provider failed; `message` is written for an operator reading the call log. */
export class VoiceProviderError extends Error {
  readonly code: VoiceProviderErrorCode;
  /** The provider id (`openai`, `deepgram`, `elevenlabs`, `espeak`, `pocketsphinx`). */
  readonly provider: string;

  constructor(
    code: VoiceProviderErrorCode,
    provider: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'VoiceProviderError';
    this.code = code;
    this.provider = provider;
  }
}

/** Narrowing helper for catch blocks. */
export function isVoiceProviderError(error: unknown): error is VoiceProviderError {
  return error instanceof VoiceProviderError;
}

/** The error code for a vendor's HTTP status (or WebSocket upgrade status). */
export function voiceErrorCodeForStatus(status: number): VoiceProviderErrorCode {
  if (status === 401 || status === 403) return 'provider_auth';
  if (status === 408 || status === 504) return 'provider_timeout';
  if (status === 429 || status === 502 || status === 503) return 'provider_unavailable';
  return 'provider_failed';
}

/** What an aborted operation rejects with: the signal's reason, or a standard AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
