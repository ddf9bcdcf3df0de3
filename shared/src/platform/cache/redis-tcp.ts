import { Redis, type RedisOptions } from 'ioredis';
import type { CacheInvalidations } from './cache.ts';
import {
  createGuard,
  decodeValue,
  encodeValue,
  expirySeconds,
  INCREMENT_SCRIPT,
  type RemoteCache,
  type RemoteCacheOptions,
} from './remote.ts';

/** Options of the Redis-over-TCP adapter. */
export interface RedisCacheOptions extends RemoteCacheOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Upper bound of one (background) connection attempt. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Cap of the reconnect backoff; reconnection never stops. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** Pub/sub channel of `invalidations`, before `keyPrefix`. Default `cache:invalidate`. */
  invalidationChannel?: string;
}

/**
 * The Node cache adapter: Redis over TCP (ioredis), tuned for a cache rather than a store. Nothing
 * waits for a connection: with the offline queue off and no per-request retries a dead Redis
 * answers at once, a hung one after `timeoutMs`, and after `failureThreshold` such answers the
 * circuit opens and calls return misses without touching the network. ioredis keeps reconnecting in
 * the background with capped backoff, and a half-open probe closes the circuit once it is back.
 *
 * Values are JSON; keys get `keyPrefix`; `invalidations` is Redis pub/sub on a second connection
 * (a subscribed connection can run no other command).
 *
 * @example
 * const cache = createRedisCache({ url: 'redis://127.0.0.1:6379', keyPrefix: 'lumay:' });
 * const agent = await readThrough(cache, `t:${tenantId}:agent:${id}`, 60, () => loadAgent(id));
 */
export function createRedisCache(options: RedisCacheOptions): RemoteCache {
  const timeoutMs = options.timeoutMs ?? 50;
  const prefix = options.keyPrefix ?? '';
  const channel = `${prefix}${options.invalidationChannel ?? 'cache:invalidate'}`;
  const guard = createGuard('redis-tcp', options);
  const connect = (role: string) => connectRedis(options, timeoutMs, role);
  const client = connect('cache');
  const prefixed = (key: string) => `${prefix}${key}`;
  const startupEndsAt = Date.now() + (options.connectTimeoutMs ?? 1000);

  async function command<T, F>(operation: () => Promise<T>, fallback: F): Promise<T | F> {
    // Only while the first connection is being made do commands wait (up to timeoutMs) rather than
    // fail, so a process that has just started does not open its circuit on a healthy Redis.
    if (!client.everReady && Date.now() < startupEndsAt) {
      await Promise.race([client.firstReady, delay(timeoutMs)]);
    }
    return guard.call(operation, fallback);
  }

  const invalidations = createInvalidations(client, connect, channel, options, command);

  return {
    name: 'redis-tcp',
    get circuitState() {
      return guard.state;
    },
    invalidations: invalidations.api,
    async get<T>(key: string) {
      const raw = await command(() => client.redis.get(prefixed(key)), undefined);
      return decodeValue<T>(raw);
    },
    async set(key, value, ttlSeconds) {
      const encoded = encodeValue(value);
      // `undefined` has no JSON form; dropping the key matches the in-memory adapter, where it reads as a miss.
      if (encoded === undefined) {
        await command(() => client.redis.del(prefixed(key)), undefined);
        return;
      }
      await command(
        () => client.redis.set(prefixed(key), encoded, 'EX', expirySeconds(ttlSeconds)),
        undefined,
      );
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      await command(() => client.redis.del(...keys.map(prefixed)), undefined);
    },
    async increment(key, ttlSeconds) {
      const count = await command(
        () => client.redis.eval(INCREMENT_SCRIPT, 1, prefixed(key), expirySeconds(ttlSeconds)),
        undefined,
      );
      return typeof count === 'number' ? count : undefined;
    },
    async close() {
      await invalidations.close();
      await client.close();
    },
  };
}

interface Connection {
  redis: Redis;
  /** Resolves on the first `ready`; never rejects. */
  firstReady: Promise<void>;
  readonly everReady: boolean;
  close(): Promise<void>;
}

function connectRedis(options: RedisCacheOptions, timeoutMs: number, role: string): Connection {
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2000;
  const settings: RedisOptions = {
    connectionName: `lumay-${role}`,
    // The defaults queue commands while disconnected and retry each one 20 times: a dead Redis
    // would then hang every request instead of producing a miss.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A write the caller already saw fail must not be replayed minutes later over a newer value.
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    // Never give up (returning a number keeps ioredis reconnecting); jitter spreads a fleet's retries.
    retryStrategy: (attempt) =>
      Math.min(100 * 2 ** Math.min(attempt - 1, 10), maxReconnectDelayMs) + Math.floor(Math.random() * 100),
  };
  const redis = new Redis(options.url, settings);
  let everReady = false;
  const firstReady = new Promise<void>((resolve) => {
    redis.once('ready', () => {
      everReady = true;
      resolve();
    });
  });
  // Without a listener ioredis prints every reconnect failure; the breaker reports availability.
  redis.on('error', () => {});
  return {
    redis,
    firstReady,
    get everReady() {
      return everReady;
    },
    async close() {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

type Command = <T, F>(operation: () => Promise<T>, fallback: F) => Promise<T | F>;

/**
 * Pub/sub invalidation. The subscriber connection is opened on first subscribe and (re)subscribes
 * on every `ready` itself, because ioredis only restores subscriptions that once succeeded.
 */
function createInvalidations(
  publisher: Connection,
  connect: (role: string) => Connection,
  channel: string,
  options: RedisCacheOptions,
  command: Command,
): { api: CacheInvalidations; close(): Promise<void> } {
  const handlers = new Set<(keys: string[]) => void>();
  let subscriber: Connection | undefined;
  let live = false;

  async function subscribeChannel(connection: Connection): Promise<void> {
    try {
      await connection.redis.subscribe(channel);
      live = true;
    } catch {
      // Retried on the next `ready`; until then peers' invalidations are missed and TTLs bound staleness.
    }
  }

  function openSubscriber(): Connection {
    const connection = connect('invalidations');
    connection.redis.on('ready', () => void subscribeChannel(connection));
    connection.redis.on('close', () => {
      live = false;
    });
    connection.redis.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      const keys = parseKeys(message);
      if (!keys) return;
      for (const handler of handlers) {
        // One faulty handler must not starve the others.
        try {
          handler(keys);
        } catch {}
      }
    });
    return connection;
  }

  const api: CacheInvalidations = {
    async publish(keys) {
      if (keys.length === 0) return;
      await command(() => publisher.redis.publish(channel, JSON.stringify(keys)), undefined);
    },
    async subscribe(handler) {
      handlers.add(handler);
      subscriber ??= openSubscriber();
      const connection = subscriber;
      const waitMs = options.connectTimeoutMs ?? 1000;
      const deadline = Date.now() + waitMs;
      // The `ready` listener subscribes; wait (bounded) until it has, so a publish right after sees us.
      while (!live && Date.now() < deadline) {
        if (connection.redis.status === 'ready') await subscribeChannel(connection);
        if (!live) await delay(20);
      }
      return () => {
        handlers.delete(handler);
      };
    },
  };

  return {
    api,
    async close() {
      handlers.clear();
      await subscriber?.close();
    },
  };
}

function parseKeys(message: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    if (Array.isArray(parsed) && parsed.every((key) => typeof key === 'string')) return parsed;
  } catch {}
  return undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
