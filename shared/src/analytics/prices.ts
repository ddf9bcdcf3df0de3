/*
 * The versioned price table: USD per one million tokens, per provider and model, as the vendors
 * list them for standard (non-batch, non-cached) usage. A cost record stores the version it was
 * priced with, so a later table never reprices history. Add a new version for a price change;
 * never edit a published one.
 */

/** The version new cost records are priced with. */
export const PRICE_TABLE_VERSION = '2026-11-01';

/** Price of one model, USD per 1M tokens. */
export interface ModelPrice {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

/** One version of the table: provider → model id (or model family prefix) → price. */
export type PriceTable = Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>;

const price = (inputPerMillion: number, outputPerMillion: number): ModelPrice => ({
  inputPerMillion,
  outputPerMillion,
});

const TABLE_2026_11_01: PriceTable = {
  openai: {
    'gpt-5': price(1.25, 10),
    'gpt-5-mini': price(0.25, 2),
    'gpt-5-nano': price(0.05, 0.4),
    'gpt-4.1': price(2, 8),
    'gpt-4.1-mini': price(0.4, 1.6),
    'gpt-4.1-nano': price(0.1, 0.4),
    'gpt-4o': price(2.5, 10),
    'gpt-4o-mini': price(0.15, 0.6),
    o3: price(2, 8),
    'o4-mini': price(1.1, 4.4),
    'text-embedding-3-small': price(0.02, 0),
    'text-embedding-3-large': price(0.13, 0),
  },
  anthropic: {
    'claude-opus-4-5': price(5, 25),
    'claude-opus-4-1': price(15, 75),
    'claude-opus-4': price(15, 75),
    'claude-sonnet-4-6': price(3, 15),
    'claude-sonnet-4-5': price(3, 15),
    'claude-sonnet-4': price(3, 15),
    'claude-haiku-4-5': price(1, 5),
    'claude-3-5-haiku': price(0.8, 4),
  },
};

/** Every published version; cost summaries look old records up in the version they were priced with. */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = {
  [PRICE_TABLE_VERSION]: TABLE_2026_11_01,
};

/** Providers that never cost money: the offline model runs in-process. */
const FREE_PROVIDERS = new Set(['offline']);

/** A computed cost. `priced` is false when the table has no price for the model (cost then 0). */
export interface ModelCost {
  readonly costUsd: number;
  readonly priceVersion: string;
  readonly priced: boolean;
  readonly price?: ModelPrice;
}

/**
 * The table's price for a model id: an exact entry, else the longest entry the id starts with at a
 * `-` boundary, so dated snapshots (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-20250514`) find their
 * family and `gpt-4o-mini` never falls back to `gpt-4o`.
 */
export function findModelPrice(
  provider: string,
  modelId: string,
  version: string = PRICE_TABLE_VERSION,
): ModelPrice | undefined {
  const models = PRICE_TABLES[version]?.[provider];
  if (!models) return undefined;
  const id = modelId.toLowerCase();
  const exact = models[id];
  if (exact) return exact;
  let best: { key: string; price: ModelPrice } | undefined;
  for (const [key, entry] of Object.entries(models)) {
    if (id.startsWith(`${key}-`) && (!best || key.length > best.key.length)) best = { key, price: entry };
  }
  return best?.price;
}

/** Rounds to the 8 decimals the cost column stores. */
function roundUsd(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

/**
 * The cost of one call's tokens. Offline calls cost 0 and count as priced; a model missing from
 * the table costs 0 with `priced: false` (and the version is still recorded).
 *
 * @example
 * priceModelCall('openai', 'gpt-4o-mini', 1_000_000, 0).costUsd // 0.15
 */
export function priceModelCall(
  provider: string,
  modelId: string,
  inputTokens: number,
  outputTokens: number,
  version: string = PRICE_TABLE_VERSION,
): ModelCost {
  if (FREE_PROVIDERS.has(provider))
    return { costUsd: 0, priceVersion: version, priced: true, price: price(0, 0) };
  const found = findModelPrice(provider, modelId, version);
  if (!found) return { costUsd: 0, priceVersion: version, priced: false };
  const costUsd = roundUsd(
    (Math.max(0, inputTokens) * found.inputPerMillion + Math.max(0, outputTokens) * found.outputPerMillion) /
      1_000_000,
  );
  return { costUsd, priceVersion: version, priced: true, price: found };
}

/** Whether a (provider, model) pair has a price in `version` (offline always does). */
export function isPriced(provider: string, modelId: string, version: string): boolean {
  return FREE_PROVIDERS.has(provider) || findModelPrice(provider, modelId, version) !== undefined;
}
