import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, defaultSleep, retryDelayMs } from './retry.ts';

const retryable = { retryable: true, retryAfterMs: undefined };

describe('retryDelayMs', () => {
  it('grows exponentially up to the cap', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 10, jitterRatio: 0 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, retryable, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
  });

  it('stops at maxAttempts and for non-retryable errors', () => {
    expect(retryDelayMs(3, retryable, DEFAULT_RETRY_POLICY)).toBeUndefined();
    expect(
      retryDelayMs(1, { retryable: false, retryAfterMs: undefined }, DEFAULT_RETRY_POLICY),
    ).toBeUndefined();
  });

  it('never waits less than retry-after, and gives up when retry-after is beyond the cap', () => {
    expect(retryDelayMs(1, { retryable: true, retryAfterMs: 4000 }, DEFAULT_RETRY_POLICY, () => 1)).toBe(
      4000,
    );
    expect(retryDelayMs(1, { retryable: true, retryAfterMs: 10 }, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(500);
    expect(retryDelayMs(1, { retryable: true, retryAfterMs: 31_000 }, DEFAULT_RETRY_POLICY)).toBeUndefined();
  });
});

describe('defaultSleep', () => {
  it('waits and can be aborted', async () => {
    const started = Date.now();
    await defaultSleep(15);
    expect(Date.now() - started).toBeGreaterThanOrEqual(10);
    const controller = new AbortController();
    const pending = defaultSleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
