import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import WebSocket from 'ws';
import { VoiceProviderError, voiceErrorCodeForStatus } from './ports.ts';

/**
 * A client for the OpenAI Realtime API (GA protocol) over a raw WebSocket, for speech-to-speech
 * calls: the caller's μ-law goes straight in (`audio/pcmu` both ways, so Twilio's payloads need no
 * conversion), OpenAI's server VAD decides turns and interrupts itself on barge-in, and the client
 * surfaces the few events a phone bridge acts on. Outgoing events are typed by the SDK's GA
 * definitions, so a beta-shaped event does not compile; incoming events are checked field by field,
 * and anything malformed is ignored rather than trusted.
 */

/** Settings of {@link connectRealtime}. */
export interface RealtimeConnectOptions {
  apiKey: string;
  /** Default `wss://api.openai.com` (`https://` is accepted too). */
  baseURL?: string;
  /** Default `gpt-realtime`. */
  model?: string;
  instructions: string;
  /** Default `alloy`. */
  voice?: string;
  /** Transcribes the caller for `onTranscript` (default `gpt-4o-mini-transcribe`); `null` turns it off. */
  inputTranscriptionModel?: string | null;
  /** Server VAD tuning; OpenAI's defaults otherwise. */
  turnDetection?: { threshold?: number; prefixPaddingMs?: number; silenceDurationMs?: number };
  /** Limit for connecting and the session being accepted. Default 10 s. */
  connectTimeoutMs?: number;
}

export interface RealtimeAudioDelta {
  itemId: string;
  responseId: string;
  /** Base64 μ-law 8 kHz, as Twilio's `media.payload` wants it. */
  delta: string;
}
export interface RealtimeSpeechStarted {
  audioStartMs: number;
  itemId: string;
}
export interface RealtimeSpeechStopped {
  audioEndMs: number;
  itemId: string;
}
export interface RealtimeResponseDone {
  responseId: string;
  /** `completed`, `cancelled`, `failed` or `incomplete`. */
  status: string;
}
export interface RealtimeTranscript {
  role: 'user' | 'assistant';
  text: string;
  itemId: string;
}
/** An `error` event from the server (the session stays open), or the socket failing. */
export interface RealtimeErrorInfo {
  type: string;
  code?: string;
  message: string;
  param?: string;
  eventId?: string;
}

/** An open Realtime session. Sending after `close` (or a drop) does nothing. */
export interface RealtimeSession {
  /** Appends caller audio (base64 μ-law, e.g. a Twilio `media.payload`). */
  appendAudio(base64Mulaw: string): void;
  /** Cuts an assistant item at what the caller actually heard, so the model knows where it was interrupted. */
  truncate(itemId: string, audioEndMs: number): void;
  cancelResponse(): void;
  /** Adds `text` as a user message and asks for a response: how the agent speaks first ("Greet the caller."). */
  say(text: string): void;
  close(): void;
  readonly closed: boolean;
  onAudioDelta?: (event: RealtimeAudioDelta) => void;
  onSpeechStarted?: (event: RealtimeSpeechStarted) => void;
  onSpeechStopped?: (event: RealtimeSpeechStopped) => void;
  onResponseDone?: (event: RealtimeResponseDone) => void;
  onTranscript?: (event: RealtimeTranscript) => void;
  onError?: (error: RealtimeErrorInfo) => void;
  onClose?: (event: { code: number; reason: string }) => void;
  /** Every well-formed server event, for logging and for events without a listener of their own. */
  onEvent?: (event: { type: string } & Record<string, unknown>) => void;
}

type Event = { type: string } & Record<string, unknown>;

const PROVIDER = 'openai';
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

function parseEvent(data: string): Event | undefined {
  try {
    const parsed = record(JSON.parse(data));
    return parsed && typeof parsed.type === 'string' ? (parsed as Event) : undefined;
  } catch {
    return undefined;
  }
}

function errorInfo(event: Event): RealtimeErrorInfo {
  const error = record(event.error) ?? {};
  const info: RealtimeErrorInfo = {
    type: text(error.type) ?? 'error',
    message: text(error.message) ?? 'unknown error',
  };
  const code = text(error.code);
  const param = text(error.param);
  const eventId = text(error.event_id);
  if (code) info.code = code;
  if (param) info.param = param;
  if (eventId) info.eventId = eventId;
  return info;
}

/** The GA `session.update` the client sends first. */
export function realtimeSessionUpdate(options: RealtimeConnectOptions): RealtimeClientEvent {
  const transcription =
    options.inputTranscriptionModel === undefined
      ? 'gpt-4o-mini-transcribe'
      : options.inputTranscriptionModel;
  const vad = options.turnDetection ?? {};
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model: options.model ?? 'gpt-realtime',
      output_modalities: ['audio'],
      instructions: options.instructions,
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          ...(transcription ? { transcription: { model: transcription } } : {}),
          turn_detection: {
            type: 'server_vad',
            create_response: true,
            interrupt_response: true,
            ...(vad.threshold === undefined ? {} : { threshold: vad.threshold }),
            ...(vad.prefixPaddingMs === undefined ? {} : { prefix_padding_ms: vad.prefixPaddingMs }),
            ...(vad.silenceDurationMs === undefined ? {} : { silence_duration_ms: vad.silenceDurationMs }),
          },
        },
        output: { format: { type: 'audio/pcmu' }, voice: options.voice ?? 'alloy' },
      },
      tools: [],
    },
  };
}

/** Connects, configures the session and resolves once OpenAI has accepted it (`session.updated`). */
export function connectRealtime(options: RealtimeConnectOptions): Promise<RealtimeSession> {
  const base = (options.baseURL ?? 'wss://api.openai.com').replace(/^http/, 'ws').replace(/\/+$/, '');
  const url = `${base}/v1/realtime?model=${encodeURIComponent(options.model ?? 'gpt-realtime')}`;
  const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${options.apiKey}` } });
  let closed = false;

  const send = (event: RealtimeClientEvent) => {
    if (!closed && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
  };

  const session: RealtimeSession = {
    get closed() {
      return closed;
    },
    appendAudio: (audio) => send({ type: 'input_audio_buffer.append', audio }),
    truncate: (itemId, audioEndMs) =>
      send({
        type: 'conversation.item.truncate',
        item_id: itemId,
        content_index: 0,
        audio_end_ms: Math.max(0, Math.floor(audioEndMs)),
      }),
    cancelResponse: () => send({ type: 'response.cancel' }),
    say(line) {
      send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: line }] },
      });
      send({ type: 'response.create' });
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close(1000);
    },
  };

  const dispatch = (event: Event) => {
    session.onEvent?.(event);
    switch (event.type) {
      case 'response.output_audio.delta': {
        const itemId = text(event.item_id);
        const responseId = text(event.response_id);
        const delta = text(event.delta);
        if (itemId && responseId && delta) session.onAudioDelta?.({ itemId, responseId, delta });
        return;
      }
      case 'input_audio_buffer.speech_started': {
        const audioStartMs = number(event.audio_start_ms);
        const itemId = text(event.item_id);
        if (audioStartMs !== undefined && itemId) session.onSpeechStarted?.({ audioStartMs, itemId });
        return;
      }
      case 'input_audio_buffer.speech_stopped': {
        const audioEndMs = number(event.audio_end_ms);
        const itemId = text(event.item_id);
        if (audioEndMs !== undefined && itemId) session.onSpeechStopped?.({ audioEndMs, itemId });
        return;
      }
      case 'response.done': {
        const response = record(event.response);
        const responseId = text(response?.id);
        if (responseId)
          session.onResponseDone?.({ responseId, status: text(response?.status) ?? 'completed' });
        return;
      }
      case 'response.output_audio_transcript.done':
      case 'conversation.item.input_audio_transcription.completed': {
        const transcript = text(event.transcript);
        const itemId = text(event.item_id);
        const role = event.type === 'response.output_audio_transcript.done' ? 'assistant' : 'user';
        if (transcript !== undefined && itemId) session.onTranscript?.({ role, text: transcript, itemId });
        return;
      }
      case 'error':
        session.onError?.(errorInfo(event));
        return;
      default:
        return;
    }
  };

  return new Promise<RealtimeSession>((resolve, reject) => {
    let accepted = false;
    const fail = (error: VoiceProviderError) => {
      if (accepted) return;
      accepted = true; // settled: later events go to the listeners
      clearTimeout(timer);
      closed = true;
      socket.terminate();
      reject(error);
    };
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () =>
        fail(
          new VoiceProviderError(
            'provider_timeout',
            PROVIDER,
            `OpenAI Realtime did not accept the session within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );

    socket.once('unexpected-response', (request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        let message = body.slice(0, 200);
        try {
          message = text(record(record(JSON.parse(body))?.error)?.message) ?? message;
        } catch {
          // not JSON: keep the text
        }
        const code = voiceErrorCodeForStatus(status);
        const prefix =
          code === 'provider_auth'
            ? 'OpenAI Realtime refused the API key'
            : 'OpenAI Realtime refused the connection';
        request.destroy();
        fail(new VoiceProviderError(code, PROVIDER, `${prefix} (${status}): ${message}`));
      });
    });
    socket.on('error', (error) => {
      if (!accepted) {
        fail(
          new VoiceProviderError(
            'provider_unavailable',
            PROVIDER,
            `OpenAI Realtime could not be reached: ${error.message}`,
            { cause: error },
          ),
        );
        return;
      }
      session.onError?.({ type: 'socket_error', message: error.message });
    });
    socket.on('open', () => send(realtimeSessionUpdate(options)));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = parseEvent(data.toString());
      if (!event) return;
      if (!accepted) {
        if (event.type === 'session.updated') {
          accepted = true;
          clearTimeout(timer);
          resolve(session);
        } else if (event.type === 'error') {
          const info = errorInfo(event);
          fail(
            new VoiceProviderError(
              'provider_failed',
              PROVIDER,
              `OpenAI Realtime rejected the session: ${info.message}`,
            ),
          );
        }
        return;
      }
      dispatch(event);
    });
    socket.on('close', (code, reason) => {
      closed = true;
      if (!accepted) {
        fail(
          new VoiceProviderError(
            'provider_unavailable',
            PROVIDER,
            `OpenAI Realtime closed the connection (${code})`,
          ),
        );
        return;
      }
      clearTimeout(timer);
      session.onClose?.({ code, reason: reason.toString() });
    });
  });
}
