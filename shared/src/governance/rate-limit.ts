import { AppError } from '../core/index.ts';
import { type Cache, createMemoryCache } from '../platform/index.ts';

export interface RateLimitRule {
  /** Counter name, e.g. `login:ip`. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimiter {
  /** Counts one hit for `subject`; throws a 429 AppError once the window's limit is passed. */
  hit(rule: RateLimitRule, subject: string): Promise<void>;
  /** Reads the current count without counting. */
  peek(rule: RateLimitRule, subject: string): Promise<number>;
  reset(rule: RateLimitRule, subject: string): Promise<void>;
}

/**
 * Fixed-window counters in the shared cache, so limits hold across instances. When the shared cache
 * is unavailable the limiter falls back to a local in-process counter, never to "unlimited".
 */
export function createRateLimiter(
  cache: Cache,
  local: Cache = createMemoryCache({ maxEntries: 50_000 }),
): RateLimiter {
  const key = (rule: RateLimitRule, subject: string) => `rl:${rule.name}:${subject.toLowerCase()}`;
  return {
    async hit(rule, subject) {
      const counterKey = key(rule, subject);
      const count =
        (await cache.increment(counterKey, rule.windowSeconds)) ??
        (await local.increment(counterKey, rule.windowSeconds)) ??
        0;
      if (count > rule.limit) {
        throw new AppError('rate_limited', 'Too many attempts; try again later', {
          details: { retryAfterSeconds: rule.windowSeconds },
        });
      }
    },
    async peek(rule, subject) {
      const counterKey = key(rule, subject);
      return (await cache.get<number>(counterKey)) ?? (await local.get<number>(counterKey)) ?? 0;
    },
    async reset(rule, subject) {
      const counterKey = key(rule, subject);
      await cache.delete(counterKey);
      await local.delete(counterKey);
    },
  };
}
