import { ModelCallError, type ModelCallErrorKind, type ModelIdentity } from '../errors.ts';
import { parseRetryAfter, TransportFailure } from '../transport-failure.ts';
import { anthropicErrorBodySchema } from './anthropic-api.ts';

const KIND_BY_ERROR_TYPE: Readonly<Record<string, ModelCallErrorKind>> = {
  invalid_request_error: 'invalid-request',
  request_too_large: 'invalid-request',
  authentication_error: 'authentication',
  billing_error: 'permission',
  permission_error: 'permission',
  not_found_error: 'not-found',
  rate_limit_error: 'rate-limit',
  timeout_error: 'timeout',
  api_error: 'server',
  overloaded_error: 'overloaded',
};

function kindFor(status: number | undefined, errorType: string | undefined): ModelCallErrorKind {
  const byType = errorType === undefined ? undefined : KIND_BY_ERROR_TYPE[errorType];
  if (byType) return byType;
  if (status === undefined) return 'unknown';
  if (status === 429) return 'rate-limit';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not-found';
  if (status >= 400) return 'invalid-request';
  return 'unknown';
}

/**
 * Maps a failure of an Anthropic call (a `TransportFailure` from the client, or a stray error) to a
 * `ModelCallError`. Error events inside a stream have no status; their `error.type` decides.
 */
export function mapAnthropicError(error: unknown, model: ModelIdentity): ModelCallError {
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
      const parsed = anthropicErrorBodySchema.safeParse(error.body);
      const detail = parsed.success ? parsed.data.error : undefined;
      const retryAfterMs = parseRetryAfter(error.headers);
      const requestId =
        error.headers?.get('request-id') ??
        (parsed.success ? parsed.data.request_id : undefined) ??
        undefined;
      return new ModelCallError({
        ...base,
        kind: kindFor(error.status, detail?.type ?? undefined),
        message: `${model.provider}: ${detail?.message ?? error.message}`,
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      });
    }
  }
}
