import { AppError, type ErrorCode, isAppError, mapDatabaseError } from '@lumay/shared';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { AppEnv } from './env.ts';

/** The one error body shape: `{ error: { code, message, requestId, details? } }`. */
export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown) {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}

function fromHttpException(error: HTTPException): AppError {
  if (error.status === 413) return new AppError('payload_too_large', 'Request body is too large');
  if (error.status === 400 && /json/i.test(error.message)) {
    return new AppError('invalid_json', 'Request body is not valid JSON');
  }
  if (error.status === 401) return new AppError('unauthorized', error.message || 'Authentication required');
  if (error.status === 415) return new AppError('unsupported_media_type', error.message);
  return new AppError('bad_request', error.message || 'Bad request');
}

/**
 * The single `onError`: domain errors keep their code, driver errors are mapped, and anything
 * unexpected becomes a 500 without internals (logged with the request id for operators).
 */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  let appError: AppError;
  if (error instanceof HTTPException) {
    appError = fromHttpException(error);
  } else {
    const mapped = mapDatabaseError(error);
    appError = isAppError(mapped) ? mapped : new AppError('internal_error', 'An unexpected error occurred');
  }
  if (appError.code === 'internal_error' || appError.code === 'service_unavailable') {
    console.error(
      JSON.stringify({ level: 'error', requestId, message: String(error), stack: (error as Error)?.stack }),
    );
  }
  const details = appError.details as { retryAfterSeconds?: number } | undefined;
  if (appError.code === 'rate_limited' && details?.retryAfterSeconds) {
    c.header('Retry-After', String(details.retryAfterSeconds));
  }
  if (appError.code === 'service_unavailable') c.header('Retry-After', '5');
  return c.json(
    errorBody(appError.code, appError.message, requestId, appError.details),
    appError.status as ContentfulStatusCode,
  );
}

/** Validation hook for every zod-validated body, query and path parameter. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }): void {
  if (result.success || !result.error) return;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
    code: issue.code,
  }));
  const where = result.target === 'json' ? 'body' : (result.target ?? 'request');
  throw new AppError('validation_failed', `Invalid ${where}: ${issues[0]?.path} ${issues[0]?.message}`, {
    details: { location: where, issues },
  });
}
