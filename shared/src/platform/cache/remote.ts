import type { Cache } from './cache.ts';
import { type CircuitState, createCircuitBreaker } from './circuit-breaker.ts';

/** Options shared by the remote adapters (Redis over TCP, Upstash over REST). */
export interface RemoteCacheOptions {
  /** Per-command deadline; a slower answer counts as a failure and the caller gets a miss. Default 50. */
  timeoutMs?: number;
  /** Prepended to every key (e.g. `lumay:` or a per-test-run prefix); not part of the logical key. */
  keyPrefix?: string;
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe. Default 2000 ms. */
  coolDownMs?: number;
  /** Where availability changes are reported (once when the cache goes away, once when it is back). */
  log?: (message: string) => void;
}

/** A remote cache adapter: the port plus a view of its circuit, for health checks and tests. */
export interface RemoteCache extends Cache {
  readonly circuitState: CircuitState;
}

/**
 * Atomic fixed-window counter: INCR, and give the key its TTL when it has none (first increment, or
 * a key left without one). One script keeps it a single round trip and identical on Redis and
 * Upstash, whatever server version sits behind them.
 */
export const INCREMENT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** Values travel as JSON so that both adapters store the same bytes and round-trip the same way. */
export function encodeValue(value: unknown): string | undefined {
  return JSON.stringify(value);
}

/** A value the cache cannot parse (written by someone else) is a miss, not an error. */
export function decodeValue<T>(raw: unknown): T | undefined {
  if (typeof raw === 'number') return raw as T;
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** Redis expiries are whole seconds and must be positive; round up so an entry never outlives less. */
export function expirySeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}

/**
 * Wraps a breaker for one adapter: `call` runs a command and turns every failure into `fallback`,
 * reporting only the transitions that matter to an operator.
 */
export function createGuard(name: string, options: RemoteCacheOptions) {
  const log = options.log ?? ((message: string) => console.warn(message));
  const breaker = createCircuitBreaker({
    failureThreshold: options.failureThreshold ?? 5,
    coolDownMs: options.coolDownMs ?? 2000,
    onStateChange(change) {
      // Failed probes (half-open → open) would log every cool-down for the length of an outage.
      if (change.to === 'open' && change.from === 'closed') {
        log(
          `cache ${name}: unavailable after ${change.failures} consecutive failures, serving misses ` +
            `(${describe(change.error)})`,
        );
      } else if (change.to === 'closed') {
        log(`cache ${name}: available again`);
      }
    },
  });
  return {
    get state(): CircuitState {
      return breaker.state;
    },
    async call<T, F>(operation: () => Promise<T>, fallback: F): Promise<T | F> {
      const result = await breaker.run(operation);
      return result.ok ? result.value : fallback;
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
