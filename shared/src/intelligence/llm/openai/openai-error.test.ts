import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../errors.ts';
import { TransportFailure } from '../transport-failure.ts';
import { mapOpenAIError } from './openai-error.ts';

const model = { provider: 'openai', modelId: 'gpt-4o-mini' };

function http(status: number | undefined, body: unknown, headers: Record<string, string> = {}) {
  return new TransportFailure({
    reason: 'http',
    message: `${status} error`,
    ...(status !== undefined ? { status } : {}),
    headers: new Headers(headers),
    body,
  });
}

describe('mapOpenAIError', () => {
  it('maps 429 to a retryable rate-limit error with retry-after-ms', () => {
    const error = mapOpenAIError(
      http(
        429,
        { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
        {
          'retry-after-ms': '120',
          'retry-after': '1',
          'x-request-id': 'req_1',
        },
      ),
      model,
    );
    expect(error).toMatchObject({
      kind: 'rate-limit',
      retryable: true,
      retryAfterMs: 120,
      upstreamStatus: 429,
      requestId: 'req_1',
      provider: 'openai',
      modelId: 'gpt-4o-mini',
      message: 'openai: Rate limit reached',
    });
  });

  it.each([
    [500, 'server', true],
    [502, 'server', true],
    [503, 'overloaded', true],
    [408, 'timeout', true],
    [400, 'invalid-request', false],
    [401, 'authentication', false],
    [403, 'permission', false],
    [404, 'not-found', false],
    [422, 'invalid-request', false],
  ] as const)('maps status %i to %s (retryable: %s)', (status, kind, retryable) => {
    const error = mapOpenAIError(http(status, { error: { message: 'x', type: 'y' } }), model);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
  });

  it('reads an error event inside a stream by its code', () => {
    expect(
      mapOpenAIError(http(undefined, { error: { message: 'slow down', code: 'rate_limit_exceeded' } }), model)
        .kind,
    ).toBe('rate-limit');
    expect(
      mapOpenAIError(http(undefined, { error: { message: 'oops', type: 'server_error' } }), model).kind,
    ).toBe('server');
  });

  it('maps transport failures', () => {
    const of = (reason: 'timeout' | 'connection' | 'aborted' | 'malformed') =>
      mapOpenAIError(new TransportFailure({ reason, message: reason }), model);
    expect(of('timeout')).toMatchObject({ kind: 'timeout', retryable: true });
    expect(of('connection')).toMatchObject({ kind: 'network', retryable: true });
    expect(of('aborted')).toMatchObject({ kind: 'aborted', retryable: false });
    expect(of('malformed')).toMatchObject({ kind: 'invalid-response', retryable: false });
  });

  it('wraps unexpected errors as unknown and passes ModelCallErrors through', () => {
    expect(mapOpenAIError(new TypeError('boom'), model)).toMatchObject({ kind: 'unknown', retryable: false });
    const existing = new ModelCallError({ kind: 'server', message: 'x', ...model });
    expect(mapOpenAIError(existing, model)).toBe(existing);
  });
});
