import { ModelCallError, type ModelCallErrorKind, type ModelIdentity } from '../errors.ts';
import { parseRetryAfter, TransportFailure } from '../transport-failure.ts';
import { openaiErrorBodySchema } from './openai-api.ts';

function kindForStatus(status: number | undefined, code: string | undefined): ModelCallErrorKind {
  if (status === undefined) {
    // An error event inside a stream carries only the body.
    if (code === 'rate_limit_exceeded') return 'rate-limit';
    if (code === 'server_error' || code === 'overloaded') return 'server';
    return 'unknown';
  }
  if (status === 429) return 'rate-limit';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server';
  if (status === 400 && code === 'content_filter') return 'content-filter';
  if (status >= 400) return 'invalid-request';
  return 'unknown';
}

/**
 * Maps a failure of an OpenAI or OpenAI-compatible call (a `TransportFailure` from the client, or a
 * stray error) to a `ModelCallError`, reading the vendor's error body and retry-after headers.
 */
export function mapOpenAIError(error: unknown, model: ModelIdentity): ModelCallError {
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
      const parsed = openaiErrorBodySchema.safeParse(error.body);
      const detail = parsed.success ? parsed.data.error : undefined;
      const code = detail?.code ?? detail?.type ?? undefined;
      const kind = kindForStatus(
        error.status,
        code === undefined || code === null ? undefined : String(code),
      );
      const retryAfterMs = parseRetryAfter(error.headers);
      const requestId = error.headers?.get('x-request-id') ?? undefined;
      return new ModelCallError({
        ...base,
        kind,
        message: `${model.provider}: ${detail?.message ?? error.message}`,
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      });
    }
  }
}
