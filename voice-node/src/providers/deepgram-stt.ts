import WebSocket from 'ws';
import {
  abortReason,
  type SpeechToText,
  type SpeechToTextSession,
  type Transcript,
  VoiceProviderError,
  voiceErrorCodeForStatus,
} from './ports.ts';

/**
 * Streaming speech-to-text with Deepgram's live API over one WebSocket per call. The caller's μ-law
 * goes out as it arrives (Deepgram takes it as is), interim results feed `onPartial`, and the end of a
 * turn sends `Finalize`: the transcript is every `is_final` result up to the one marked
 * `from_finalize`, so it is ready a few hundred ms after the caller stops instead of after a whole
 * upload. While the caller is silent `KeepAlive` holds the connection (Deepgram drops it after 10 s
 * without data); if it drops anyway, the next audio reconnects.
 */

/** Settings of {@link createDeepgramSpeechToText}. */
export interface DeepgramSpeechToTextOptions {
  apiKey: string;
  /** Default `wss://api.deepgram.com` (`https://` is accepted too). */
  baseURL?: string;
  /** Default `nova-3`. */
  model?: string;
  /** Longest wait for the `from_finalize` result. Default 3 s. */
  finalizeTimeoutMs?: number;
  /** Silence on the socket after which a `KeepAlive` goes out. Default 5 s. */
  keepAliveIntervalMs?: number;
  /** WebSocket handshake limit. Default 5 s. */
  connectTimeoutMs?: number;
}

const PROVIDER = 'deepgram';
const BYTES_PER_MS = 8;
/** Audio held while (re)connecting: 10 s. Older audio is dropped first. */
const MAX_QUEUED_BYTES = 10_000 * BYTES_PER_MS;

interface Segment {
  text: string;
  confidence: number;
  duration: number;
}

/** The fields of a `Results` message, or undefined for anything else (or anything malformed). */
function parseResults(
  data: string,
):
  | { text: string; confidence: number; duration: number; isFinal: boolean; fromFinalize: boolean }
  | undefined {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Reflect.get(message, 'type') !== 'Results')
    return undefined;
  const channel: unknown = Reflect.get(message, 'channel');
  const alternatives: unknown =
    typeof channel === 'object' && channel !== null ? Reflect.get(channel, 'alternatives') : undefined;
  const best: unknown = Array.isArray(alternatives) ? alternatives[0] : undefined;
  const text: unknown =
    typeof best === 'object' && best !== null ? Reflect.get(best, 'transcript') : undefined;
  if (typeof text !== 'string') return undefined;
  const confidence: unknown = Reflect.get(best as object, 'confidence');
  const duration: unknown = Reflect.get(message, 'duration');
  return {
    text: text.trim(),
    confidence: typeof confidence === 'number' ? confidence : 0,
    duration: typeof duration === 'number' ? duration : 0,
    isFinal: Reflect.get(message, 'is_final') === true,
    fromFinalize: Reflect.get(message, 'from_finalize') === true,
  };
}

/** The listen URL for a session. */
export function deepgramListenUrl(
  baseURL: string,
  model: string,
  options: { language?: string; hints?: string[] },
): string {
  const url = new URL('/v1/listen', baseURL.replace(/^http/, 'ws'));
  const query = url.searchParams;
  query.set('model', model);
  query.set('encoding', 'mulaw');
  query.set('sample_rate', '8000');
  query.set('channels', '1');
  query.set('interim_results', 'true');
  query.set('punctuate', 'true');
  query.set('smart_format', 'true');
  if (options.language) query.set('language', options.language);
  // Nova-3 boosts whole key terms; older models take single keywords.
  for (const hint of options.hints ?? [])
    query.append(model.startsWith('nova-3') ? 'keyterm' : 'keywords', hint);
  return url.toString();
}

/** Creates the provider; each `open` is one WebSocket for one call. */
export function createDeepgramSpeechToText(options: DeepgramSpeechToTextOptions): SpeechToText {
  const baseURL = options.baseURL ?? 'wss://api.deepgram.com';
  const model = options.model ?? 'nova-3';
  const finalizeTimeoutMs = options.finalizeTimeoutMs ?? 3000;
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? 5000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;

  /** Opens one socket; rejects with a VoiceProviderError (401 → provider_auth, …). */
  function connect(url: string): Promise<WebSocket> {
    return new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: { Authorization: `Token ${options.apiKey}` },
        handshakeTimeout: connectTimeoutMs,
      });
      socket.once('unexpected-response', (request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const code = voiceErrorCodeForStatus(status);
          let detail = String(response.headers['dg-error'] ?? '');
          try {
            const parsed: unknown = JSON.parse(body);
            const message =
              typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'err_msg') : undefined;
            if (typeof message === 'string') detail = message;
          } catch {
            // keep the header
          }
          const prefix =
            code === 'provider_auth' ? 'Deepgram refused the API key' : 'Deepgram refused the stream';
          reject(new VoiceProviderError(code, PROVIDER, `${prefix} (${status}): ${detail || 'no detail'}`));
          request.destroy();
        });
      });
      socket.once('open', () => resolve(socket));
      socket.once('error', (error) => {
        const timedOut = /handshake has timed out/i.test(error.message);
        reject(
          new VoiceProviderError(
            timedOut ? 'provider_timeout' : 'provider_unavailable',
            PROVIDER,
            `Deepgram could not be reached: ${error.message}`,
            { cause: error },
          ),
        );
      });
    });
  }

  return {
    id: PROVIDER,
    async open({ language, hints }) {
      const url = deepgramListenUrl(baseURL, model, {
        ...(language ? { language } : {}),
        ...(hints ? { hints } : {}),
      });
      let socket: WebSocket | undefined;
      let connecting: Promise<WebSocket> | undefined;
      let lastFailure: VoiceProviderError | undefined;
      let retryAt = 0;
      let closed = false;
      let queue: Uint8Array[] = [];
      let queuedBytes = 0;
      let lastSentAt = Date.now();
      let utteranceBytes = 0;
      let segments: Segment[] = [];
      let interim = '';
      let lastPartial = '';
      let stale = { count: 0, until: 0 }; // finalizes given up on, whose results must not leak into the next turn
      let pending:
        | { resolve: (transcript: Transcript) => void; reject: (error: unknown) => void; durationMs: number }
        | undefined;

      const settle = (outcome: { transcript: Transcript } | { error: unknown }) => {
        const current = pending;
        pending = undefined;
        if (!current) return;
        if ('transcript' in outcome) current.resolve(outcome.transcript);
        else current.reject(outcome.error);
      };

      const onResults = (data: string) => {
        const result = parseResults(data);
        if (!result) return;
        if (stale.count > 0 && Date.now() < stale.until) {
          if (result.fromFinalize) stale.count -= 1;
          return;
        }
        if (result.isFinal) {
          if (result.text)
            segments.push({ text: result.text, confidence: result.confidence, duration: result.duration });
          interim = '';
        } else {
          interim = result.text;
        }
        const partial = [...segments.map((segment) => segment.text), interim].filter(Boolean).join(' ');
        if (partial && partial !== lastPartial) {
          lastPartial = partial;
          session.onPartial?.(partial);
        }
        if (result.fromFinalize && pending) {
          const spoken = segments.reduce((total, segment) => total + segment.duration, 0);
          const confidence =
            segments.length === 0
              ? undefined
              : spoken > 0
                ? segments.reduce((sum, segment) => sum + segment.confidence * segment.duration, 0) / spoken
                : segments.reduce((sum, segment) => sum + segment.confidence, 0) / segments.length;
          const text = segments.map((segment) => segment.text).join(' ');
          segments = [];
          lastPartial = '';
          settle({
            transcript: {
              text,
              durationMs: pending.durationMs,
              ...(confidence === undefined ? {} : { confidence }),
            },
          });
        }
      };

      const attach = (opened: WebSocket) => {
        socket = opened;
        lastFailure = undefined;
        opened.on('message', (data, isBinary) => {
          if (!isBinary) onResults(data.toString());
        });
        opened.on('error', () => undefined); // 'close' follows and carries what matters
        opened.on('close', (code, reason) => {
          if (socket !== opened) return; // an older connection, already replaced
          socket = undefined;
          if (closed) return;
          lastFailure = new VoiceProviderError(
            'provider_unavailable',
            PROVIDER,
            `Deepgram closed the stream (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`,
          );
          settle({ error: lastFailure });
        });
        for (const chunk of queue) opened.send(chunk);
        queue = [];
        queuedBytes = 0;
        lastSentAt = Date.now();
      };

      const ensureConnected = (): Promise<WebSocket> => {
        if (socket?.readyState === WebSocket.OPEN) return Promise.resolve(socket);
        if (!connecting) {
          connecting = connect(url).then(
            (opened) => {
              connecting = undefined;
              if (closed) {
                opened.close(1000);
                throw new VoiceProviderError(
                  'provider_failed',
                  PROVIDER,
                  'the transcription session is closed',
                );
              }
              attach(opened);
              return opened;
            },
            (error: unknown) => {
              connecting = undefined;
              retryAt = Date.now() + 1000;
              lastFailure = error instanceof VoiceProviderError ? error : lastFailure;
              throw error;
            },
          );
        }
        return connecting;
      };

      const keepAlive = setInterval(
        () => {
          if (socket?.readyState === WebSocket.OPEN && Date.now() - lastSentAt >= keepAliveIntervalMs) {
            socket.send(JSON.stringify({ type: 'KeepAlive' }));
            lastSentAt = Date.now();
          }
        },
        Math.max(50, Math.min(1000, keepAliveIntervalMs / 2)),
      );
      keepAlive.unref();

      const session: SpeechToTextSession = {
        write(mulaw) {
          if (closed || mulaw.length === 0) return;
          utteranceBytes += mulaw.length;
          const copy = Buffer.from(mulaw); // the caller may reuse its buffer
          if (socket?.readyState === WebSocket.OPEN) {
            socket.send(copy);
            lastSentAt = Date.now();
            return;
          }
          queue.push(copy);
          queuedBytes += copy.length;
          while (queuedBytes > MAX_QUEUED_BYTES && queue.length > 0)
            queuedBytes -= queue.shift()?.length ?? 0;
          if (!connecting && Date.now() >= retryAt) ensureConnected().catch(() => undefined);
        },
        async finalize(signal) {
          if (closed)
            throw new VoiceProviderError('provider_failed', PROVIDER, 'the transcription session is closed');
          if (pending)
            throw new VoiceProviderError('provider_failed', PROVIDER, 'a finalize is already in progress');
          if (signal?.aborted) throw abortReason(signal);
          const durationMs = utteranceBytes / BYTES_PER_MS;
          utteranceBytes = 0;
          if (durationMs === 0 && segments.length === 0) return { text: '', durationMs: 0 };
          const connected = await ensureConnected().catch((error: unknown) => {
            throw lastFailure ?? error;
          });
          return new Promise<Transcript>((resolve, reject) => {
            const giveUp = (error: unknown) => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              if (pending?.reject !== wrappedReject) return;
              pending = undefined;
              const outstanding = Date.now() < stale.until ? stale.count : 0;
              stale = { count: outstanding + 1, until: Date.now() + finalizeTimeoutMs };
              segments = [];
              interim = '';
              lastPartial = '';
              reject(error);
            };
            const onAbort = () => giveUp(signal ? abortReason(signal) : undefined);
            const timer = setTimeout(
              () =>
                giveUp(
                  new VoiceProviderError(
                    'provider_timeout',
                    PROVIDER,
                    `Deepgram did not finalize the transcript within ${finalizeTimeoutMs} ms`,
                  ),
                ),
              finalizeTimeoutMs,
            );
            const wrappedReject = (error: unknown) => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              reject(error);
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            pending = {
              durationMs,
              resolve: (transcript) => {
                clearTimeout(timer);
                signal?.removeEventListener('abort', onAbort);
                resolve(transcript);
              },
              reject: wrappedReject,
            };
            connected.send(JSON.stringify({ type: 'Finalize' }));
            lastSentAt = Date.now();
          });
        },
        close() {
          if (closed) return;
          closed = true;
          clearInterval(keepAlive);
          queue = [];
          settle({
            error: new VoiceProviderError('provider_failed', PROVIDER, 'the transcription session is closed'),
          });
          const open = socket;
          if (open?.readyState === WebSocket.OPEN) {
            open.send(JSON.stringify({ type: 'CloseStream' }));
            // Deepgram answers CloseStream with its last metadata and closes; don't wait forever.
            const timer = setTimeout(() => open.terminate(), 2000);
            timer.unref();
            open.once('close', () => clearTimeout(timer));
          }
        },
      };

      try {
        attach(await connect(url));
      } catch (error) {
        clearInterval(keepAlive);
        throw error;
      }
      return session;
    },
  };
}
