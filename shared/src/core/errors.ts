/**
 * The closed set of error codes the platform answers with. Every API error carries one of these,
 * so clients can branch on `error.code` without parsing messages.
 */
export const ERROR_CODES = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  token_expired: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A domain error with a code from the closed enum, an optional cause and optional details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = options.details;
  }
}

/** Narrowing helper for catch blocks. */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export const notFound = (resource: string): AppError => new AppError('not_found', `${resource} not found`);
export const forbidden = (message = 'You do not have permission to do this'): AppError =>
  new AppError('forbidden', message);
export const unauthorized = (message = 'Authentication required'): AppError =>
  new AppError('unauthorized', message);
export const conflict = (message: string): AppError => new AppError('conflict', message);
