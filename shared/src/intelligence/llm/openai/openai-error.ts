import type { ModelCallError, ModelCallErrorKind, ModelIdentity } from '../errors.ts';
import { mapTransportFailure } from '../transport-failure.ts';
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
  return mapTransportFailure(error, model, (failure) => {
    const parsed = openaiErrorBodySchema.safeParse(failure.body);
    const detail = parsed.success ? parsed.data.error : undefined;
    const code = detail?.code ?? detail?.type ?? undefined;
    return {
      kind: kindForStatus(failure.status, code === undefined || code === null ? undefined : String(code)),
      message: detail?.message ?? undefined,
      requestId: failure.headers?.get('x-request-id') ?? undefined,
    };
  });
}
