import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TransportFailure } from '../transport-failure.ts';
import { mapAnthropicError } from './anthropic-error.ts';

const fixtures = new URL('../../../../../test/support/llm-servers/__fixtures__/anthropic/', import.meta.url);
const body = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));
const model = { provider: 'anthropic', modelId: 'claude-sonnet-4-6' };

function http(status: number | undefined, errorBody: unknown, headers: Record<string, string> = {}) {
  return new TransportFailure({
    reason: 'http',
    message: 'error',
    ...(status !== undefined ? { status } : {}),
    headers: new Headers(headers),
    body: errorBody,
  });
}

describe('mapAnthropicError', () => {
  it('maps the captured 429 with retry-after seconds', () => {
    const error = mapAnthropicError(
      http(429, body('error-429.json'), { 'retry-after': '3', 'request-id': 'req_9' }),
      model,
    );
    expect(error).toMatchObject({
      kind: 'rate-limit',
      retryable: true,
      retryAfterMs: 3000,
      requestId: 'req_9',
    });
    expect(error.message).toMatch(/^anthropic: This request would exceed the rate limit/);
  });

  it('maps the captured 529 and 500 to retryable errors', () => {
    expect(mapAnthropicError(http(529, body('error-529.json')), model)).toMatchObject({
      kind: 'overloaded',
      retryable: true,
      upstreamStatus: 529,
    });
    expect(mapAnthropicError(http(500, body('error-500.json')), model)).toMatchObject({
      kind: 'server',
      retryable: true,
    });
  });

  it('maps an error event inside a stream by its type', () => {
    const event = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect(mapAnthropicError(http(undefined, event), model)).toMatchObject({
      kind: 'overloaded',
      retryable: true,
    });
  });

  it('maps request errors as not retryable', () => {
    const invalid = {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    };
    expect(mapAnthropicError(http(400, invalid), model)).toMatchObject({
      kind: 'invalid-request',
      retryable: false,
      message: 'anthropic: max_tokens: Field required',
    });
    expect(mapAnthropicError(http(401, {}), model).kind).toBe('authentication');
  });

  it('maps transport failures', () => {
    expect(mapAnthropicError(new TransportFailure({ reason: 'timeout', message: 't' }), model).kind).toBe(
      'timeout',
    );
    expect(mapAnthropicError(new TransportFailure({ reason: 'connection', message: 'c' }), model).kind).toBe(
      'network',
    );
    expect(mapAnthropicError(new TransportFailure({ reason: 'malformed', message: 'm' }), model).kind).toBe(
      'invalid-response',
    );
  });
});
