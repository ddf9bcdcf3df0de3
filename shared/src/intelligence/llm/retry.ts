import type { ModelCallError } from './errors.ts';

/** How the core retries a retryable failure on the same model before falling back. */
export interface RetryPolicy {
  /** Attempts per model, the first included. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly backoffFactor: number;
  /** Spread of the random jitter around the backoff delay (0.25 → ±25%). */
  readonly jitterRatio: number;
  /** A vendor asking us to wait longer than this is not retried: the next model is tried instead. */
  readonly maxRetryAfterMs: number;
}

/** Three attempts, 0.5 s → 1 s backoff with ±25% jitter, retry-after honoured up to 30 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  backoffFactor: 2,
  jitterRatio: 0.25,
  maxRetryAfterMs: 30_000,
};

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real clock's sleep. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * How long to wait before attempt `failedAttempt + 1`, or undefined when the failure should not be
 * retried on this model (not retryable, attempts used up, or a retry-after beyond the cap).
 * Exponential backoff with jitter, never shorter than the vendor's retry-after.
 */
export function retryDelayMs(
  failedAttempt: number,
  error: Pick<ModelCallError, 'retryable' | 'retryAfterMs'>,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (!error.retryable || failedAttempt >= policy.maxAttempts) return undefined;
  if (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxRetryAfterMs) return undefined;
  const backoff = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.backoffFactor ** (failedAttempt - 1),
  );
  const jittered = backoff * (1 - policy.jitterRatio + 2 * policy.jitterRatio * random());
  return Math.round(Math.max(jittered, error.retryAfterMs ?? 0));
}
