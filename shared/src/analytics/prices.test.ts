import { describe, expect, it } from 'vitest';
import { findModelPrice, isPriced, PRICE_TABLE_VERSION, priceModelCall } from './prices.ts';

describe('price table', () => {
  it('prices tokens per million, per direction', () => {
    const cost = priceModelCall('openai', 'gpt-4o-mini', 1_000_000, 1_000_000);
    expect(cost).toMatchObject({ costUsd: 0.75, priceVersion: '2026-11-01', priced: true });
    expect(priceModelCall('anthropic', 'claude-sonnet-4-6', 744, 38).costUsd).toBeCloseTo(
      (744 * 3 + 38 * 15) / 1_000_000,
      10,
    );
  });

  it('finds dated snapshots by their family, preferring the longest match', () => {
    expect(findModelPrice('openai', 'gpt-4o-mini-2024-07-18')).toEqual(
      findModelPrice('openai', 'gpt-4o-mini'),
    );
    expect(findModelPrice('openai', 'gpt-4o-2024-08-06')).toEqual(findModelPrice('openai', 'gpt-4o'));
    expect(findModelPrice('openai', 'gpt-4o-mini-2024-07-18')).not.toEqual(
      findModelPrice('openai', 'gpt-4o'),
    );
    expect(findModelPrice('anthropic', 'claude-sonnet-4-20250514')?.inputPerMillion).toBe(3);
    expect(findModelPrice('anthropic', 'claude-opus-4-5-20251101')?.inputPerMillion).toBe(5);
    expect(findModelPrice('openai', 'gpt-4oops')).toBeUndefined();
  });

  it('charges nothing offline and flags unknown models at 0 with the version recorded', () => {
    expect(priceModelCall('offline', 'offline', 5000, 5000)).toMatchObject({ costUsd: 0, priced: true });
    const unknown = priceModelCall('ollama', 'llama3.1', 5000, 5000);
    expect(unknown).toEqual({ costUsd: 0, priceVersion: PRICE_TABLE_VERSION, priced: false });
    expect(isPriced('ollama', 'llama3.1', PRICE_TABLE_VERSION)).toBe(false);
    expect(isPriced('openai', 'gpt-4o', 'no-such-version')).toBe(false);
  });

  it('rounds to the 8 decimals the cost column keeps and never goes negative', () => {
    expect(priceModelCall('openai', 'gpt-5-nano', 1, 0).costUsd).toBe(0.00000005);
    expect(priceModelCall('openai', 'gpt-4o', -100, -5).costUsd).toBe(0);
  });
});
