import { ModelCallError, type ModelCallErrorKind, type ModelIdentity } from './errors.ts';

/**
 * The vendor-neutral shape of a failed HTTP exchange. Each SDK client wrapper (the one file that
 * imports the SDK) translates the SDK's error classes into this, so the adapters' `*-error.ts`
 * mappers can turn it into a `ModelCallError` without importing the SDK.
 */
export type TransportFailureReason =
  /** The server answered with an error status, or sent an error event in a stream. */
  | 'http'
  /** No answer in time. */
  | 'timeout'
  /** The connection failed or broke. */
  | 'connection'
  /** The caller's signal aborted the call. */
  | 'aborted'
  /** The server's body (or an SSE event) was not valid JSON. */
  | 'malformed';

/** A failed HTTP exchange with a model vendor. */
export class TransportFailure extends Error {
  readonly reason: TransportFailureReason;
  /** HTTP status, absent for connection failures and for error events inside a stream. */
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  /** The parsed error body (vendor shape), when there was one. */
  readonly body: unknown;

  constructor(init: {
    reason: TransportFailureReason;
    message: string;
    status?: number;
    headers?: Headers;
    body?: unknown;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'TransportFailure';
    this.reason = init.reason;
    this.status = init.status;
    this.headers = init.headers;
    this.body = init.body;
  }
}

/**
 * How long the server asked us to wait: `retry-after-ms` (OpenAI), else `retry-after` in seconds
 * or as an HTTP date. Undefined when absent or unparseable.
 */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter === null) return undefined;
  const seconds = Number(retryAfter.trim());
  if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** What a vendor's error body says about an HTTP failure. */
export interface HttpFailureDetail {
  kind: ModelCallErrorKind;
  /** The vendor's own message, when its body had one. */
  message?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Maps a failed model call (a `TransportFailure` from a client wrapper, or a stray error) to a
 * `ModelCallError`. Only HTTP failures differ between vendors: `readHttp` reads the vendor's error
 * body; timeouts, aborts, connection failures and malformed bodies are mapped the same for all.
 */
export function mapTransportFailure(
  error: unknown,
  model: ModelIdentity,
  readHttp: (failure: TransportFailure) => HttpFailureDetail,
): ModelCallError {
  if (error instanceof ModelCallError) return error;
  const base = { provider: model.provider, modelId: model.modelId, cause: error };
  if (!(error instanceof TransportFailure)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ModelCallError({ ...base, kind: 'unknown', message: `${model.provider}: ${message}` });
  }
  switch (error.reason) {
    case 'aborted':
      return new ModelCallError({
        ...base,
        kind: 'aborted',
        message: `${model.provider}: the call was aborted`,
      });
    case 'timeout':
      return new ModelCallError({
        ...base,
        kind: 'timeout',
        message: `${model.provider}: the call timed out`,
      });
    case 'connection':
      return new ModelCallError({ ...base, kind: 'network', message: `${model.provider}: ${error.message}` });
    case 'malformed':
      return new ModelCallError({
        ...base,
        kind: 'invalid-response',
        message: `${model.provider}: the response was not valid JSON (${error.message})`,
      });
    case 'http': {
      const detail = readHttp(error);
      const retryAfterMs = parseRetryAfter(error.headers);
      return new ModelCallError({
        ...base,
        kind: detail.kind,
        message: `${model.provider}: ${detail.message ?? error.message}`,
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(detail.requestId !== undefined ? { requestId: detail.requestId } : {}),
      });
    }
  }
}
