/** `closed`: calls go through; `open`: calls are refused without I/O; `half-open`: one probe is let through. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Reported once per transition, never per call, so an outage produces a handful of log lines. */
export interface CircuitStateChange {
  from: CircuitState;
  to: CircuitState;
  /** Consecutive failures that led to this transition (0 when closing). */
  failures: number;
  /** The failure that caused an opening transition. */
  error?: unknown;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a half-open probe is allowed. Default 2000 ms. */
  coolDownMs?: number;
  /** Milliseconds clock, injectable so transitions can be tested without waiting. */
  now?: () => number;
  onStateChange?: (change: CircuitStateChange) => void;
}

/** Outcome of a guarded call: expected failures are values, so a caller can never forget a catch. */
export type CircuitResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'open' }
  | { ok: false; reason: 'failed'; error: unknown };

/**
 * A consecutive-failure circuit breaker built on nothing but promises, so it runs unchanged in
 * workerd and Node. Timeouts are the guarded operation's job (the clients enforce them and reject),
 * the breaker only counts outcomes.
 */
export interface CircuitBreaker {
  /** The current state; an elapsed cool-down reads as `half-open`. */
  readonly state: CircuitState;
  /** Runs `operation` when the circuit allows it; never rejects. */
  run<T>(operation: () => Promise<T>): Promise<CircuitResult<T>>;
}

/**
 * Creates a circuit breaker. While open, `run` answers `{ ok: false, reason: 'open' }` at once;
 * after `coolDownMs` exactly one probe goes through (concurrent calls are still refused): success
 * closes the circuit, failure re-opens it for another cool-down.
 *
 * @example
 * const breaker = createCircuitBreaker({ failureThreshold: 5, coolDownMs: 2000 });
 * const result = await breaker.run(() => client.get(key));
 * return result.ok ? result.value : undefined;
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = Math.max(1, options.failureThreshold ?? 5);
  const coolDownMs = options.coolDownMs ?? 2000;
  const now = options.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  function transition(to: CircuitState, error?: unknown): void {
    if (state === to) return;
    const change: CircuitStateChange = { from: state, to, failures };
    if (error !== undefined) change.error = error;
    state = to;
    // A throwing listener must not turn a cache call into an exception.
    try {
      options.onStateChange?.(change);
    } catch {}
  }

  function currentState(): CircuitState {
    if (state === 'open' && now() - openedAt >= coolDownMs) transition('half-open');
    return state;
  }

  function recordSuccess(): void {
    failures = 0;
    transition('closed');
  }

  function recordFailure(error: unknown): void {
    failures += 1;
    if (state === 'half-open' || failures >= failureThreshold) {
      openedAt = now();
      transition('open', error);
    }
  }

  return {
    get state() {
      return currentState();
    },
    async run<T>(operation: () => Promise<T>): Promise<CircuitResult<T>> {
      const admitted = currentState();
      if (admitted === 'open' || (admitted === 'half-open' && probeInFlight)) {
        return { ok: false, reason: 'open' };
      }
      const probing = admitted === 'half-open';
      if (probing) probeInFlight = true;
      try {
        const value = await operation();
        recordSuccess();
        return { ok: true, value };
      } catch (error) {
        recordFailure(error);
        return { ok: false, reason: 'failed', error };
      } finally {
        if (probing) probeInFlight = false;
      }
    },
  };
}
