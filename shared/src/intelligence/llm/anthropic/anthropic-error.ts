import type { ModelCallError, ModelCallErrorKind, ModelIdentity } from '../errors.ts';
import { mapTransportFailure } from '../transport-failure.ts';
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
  return mapTransportFailure(error, model, (failure) => {
    const parsed = anthropicErrorBodySchema.safeParse(failure.body);
    const detail = parsed.success ? parsed.data.error : undefined;
    return {
      kind: kindFor(failure.status, detail?.type ?? undefined),
      message: detail?.message ?? undefined,
      requestId:
        failure.headers?.get('request-id') ??
        (parsed.success ? parsed.data.request_id : undefined) ??
        undefined,
    };
  });
}
