import { Redis } from '@upstash/redis/cloudflare';
import {
  createGuard,
  decodeValue,
  encodeValue,
  expirySeconds,
  INCREMENT_SCRIPT,
  type RemoteCache,
  type RemoteCacheOptions,
} from './remote.ts';

/** Options of the Upstash REST adapter. */
export interface UpstashCacheOptions extends RemoteCacheOptions {
  /** UPSTASH_REDIS_REST_URL. */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN. */
  token: string;
}

/**
 * The edge cache adapter: Upstash Redis over its REST API, Web-standard APIs only (it runs in
 * workerd). Same contract, same stored bytes and same circuit breaker as the TCP adapter, so a value
 * written by a Node instance reads identically at the edge.
 *
 * The SDK is configured for a cache on the request path: no retries (its default waits ~11.7 s
 * before failing), a fresh `AbortSignal.timeout` per request (the factory form throws on timeout;
 * a shared signal would stay aborted, and the SDK turns that into a 200 "Aborted" result that
 * looks like a value), no automatic JSON (it re-parses strings such as `"42"` into numbers), and no
 * auto-pipelining (it would batch commands of concurrent requests, which workerd forbids sharing).
 * The `/cloudflare` entry is used because it reads no `process.env` and sets no `cache` request option.
 *
 * @example
 * const cache = createUpstashCache({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
 */
export function createUpstashCache(options: UpstashCacheOptions): RemoteCache {
  const timeoutMs = options.timeoutMs ?? 50;
  const prefix = options.keyPrefix ?? '';
  const guard = createGuard('upstash', options);
  const redis = new Redis({
    url: options.url,
    token: options.token,
    retry: { retries: 0 },
    signal: () => AbortSignal.timeout(timeoutMs),
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
  });
  const prefixed = (key: string) => `${prefix}${key}`;

  return {
    name: 'upstash',
    get circuitState() {
      return guard.state;
    },
    async get<T>(key: string) {
      const raw = await guard.call(() => redis.get<string>(prefixed(key)), undefined);
      return decodeValue<T>(raw);
    },
    async set(key, value, ttlSeconds) {
      const encoded = encodeValue(value);
      // `undefined` has no JSON form; dropping the key matches the in-memory adapter, where it reads as a miss.
      if (encoded === undefined) {
        await guard.call(() => redis.del(prefixed(key)), undefined);
        return;
      }
      await guard.call(() => redis.set(prefixed(key), encoded, { ex: expirySeconds(ttlSeconds) }), undefined);
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      await guard.call(() => redis.del(...keys.map(prefixed)), undefined);
    },
    async increment(key, ttlSeconds) {
      const count = await guard.call(
        () => redis.eval<[number], number>(INCREMENT_SCRIPT, [prefixed(key)], [expirySeconds(ttlSeconds)]),
        undefined,
      );
      return typeof count === 'number' ? count : undefined;
    },
    async close() {
      // Stateless HTTP: nothing to release.
    },
  };
}
