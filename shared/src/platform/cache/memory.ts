import type { Cache } from './cache.ts';

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * In-process LRU cache with per-entry TTL: the embedded default, and the local fallback other
 * adapters' callers can layer in front of a remote cache. Values are stored as structured clones
 * so callers cannot mutate cached state by accident.
 */
export function createMemoryCache(options: { maxEntries?: number; now?: () => number } = {}): Cache {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    // Re-insert to mark as most recently used.
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function store(key: string, value: unknown, ttlSeconds: number): void {
    entries.delete(key);
    entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  }

  return {
    name: 'memory',
    async get<T>(key: string) {
      const entry = live(key);
      return entry ? (structuredClone(entry.value) as T) : undefined;
    },
    async set(key, value, ttlSeconds) {
      store(key, structuredClone(value), ttlSeconds);
    },
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async increment(key, ttlSeconds) {
      const entry = live(key);
      if (entry && typeof entry.value === 'number') {
        entry.value += 1;
        return entry.value;
      }
      store(key, 1, ttlSeconds);
      return 1;
    },
    async close() {
      entries.clear();
    },
  };
}
