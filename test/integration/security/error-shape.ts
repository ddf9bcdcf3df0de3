import { ERROR_CODES, type ErrorCode } from '@lumay/shared';
import { expect } from 'vitest';
import type { ApiResponse } from '../../support/client.ts';

/**
 * Asserts the one error shape `{ error: { code, message, requestId, details? } }`, that the code is
 * from the closed enum and agrees with the status, and that the request id matches the response header.
 */
export function expectError(response: ApiResponse, status: number, code?: ErrorCode | ErrorCode[]): void {
  const context = `${status} expected, got ${response.status}: ${response.text.slice(0, 300)}`;
  expect(response.status, context).toBe(status);
  expect(response.headers.get('content-type') ?? '', context).toMatch(/^application\/json/);
  const error = response.body?.error;
  expect(error, context).toBeTypeOf('object');
  expect(Object.keys(ERROR_CODES), context).toContain(error.code);
  expect(ERROR_CODES[error.code as ErrorCode], context).toBe(status);
  if (code !== undefined) expect(Array.isArray(code) ? code : [code], context).toContain(error.code);
  expect(error.message, context).toBeTypeOf('string');
  expect(error.message.length, context).toBeGreaterThan(0);
  expect(error.requestId, context).toBeTypeOf('string');
  expect(error.requestId, context).toBe(response.headers.get('x-request-id'));
  const allowed = new Set(['code', 'message', 'requestId', 'details']);
  expect(
    Object.keys(error).filter((key) => !allowed.has(key)),
    context,
  ).toEqual([]);
}

/** Asserts any 4xx answer in the error shape (for inputs where 400, 404 or 415 are all correct). */
export function expectClientError(response: ApiResponse, allowed: number[]): void {
  expect(allowed, `unexpected ${response.status}: ${response.text.slice(0, 300)}`).toContain(response.status);
  expectError(response, response.status);
}

/** A syntactically valid id for any prefix: lets a request pass path validation and reach lookup. */
export const fakeId = (prefix: string) => `${prefix}_${'0'.repeat(26)}`;
