import { AppError, isAppError } from '../../core/index.ts';

interface DriverError {
  code?: unknown;
  message?: unknown;
  constraint_name?: unknown;
  constraint?: unknown;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * Maps a driver error (postgres.js or PGlite) to the platform's typed error, so that callers and the
 * HTTP edge never see driver internals. Unknown errors pass through unchanged.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (isAppError(error)) return error;
  const cause = (error as { cause?: unknown })?.cause;
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = typeof candidate.code === 'string' ? candidate.code : undefined;
  if (code && CONNECTION_CODES.has(code)) {
    return new AppError('service_unavailable', 'The database is unavailable; try again shortly', {
      cause: error,
    });
  }
  switch (code) {
    case '23505':
      return new AppError('conflict', 'A resource with these values already exists', { cause: error });
    case '23503':
      return new AppError('conflict', 'A referenced resource does not exist', { cause: error });
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P05':
    case '22021':
      return new AppError('validation_failed', 'A value has the wrong format', { cause: error });
    case '42501':
      // Row-level security refused the row: to the caller it simply is not theirs.
      return new AppError('not_found', 'Resource not found', { cause: error });
    default:
      break;
  }
  if (cause && cause !== error) {
    const mapped = mapDatabaseError(cause);
    if (mapped !== cause) return mapped;
  }
  return error;
}
