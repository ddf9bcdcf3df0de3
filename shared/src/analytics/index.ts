/**
 * Layer 06, Analytics & ROI: cost capture (every model call priced from a versioned table and
 * stored in `model_calls`) and cost summaries.
 */
export type {
  CostGroup,
  CostGroupBy,
  CostService,
  CostSummary,
  CostSummaryQuery,
  CostTotals,
} from './cost-summary.ts';
export { createCostService } from './cost-summary.ts';
export type {
  ModelCallAttribution,
  ModelCallRecorder,
  ModelCallUsage,
  RecordedModelCall,
} from './model-calls.ts';
export { createModelCallRecorder, insertModelCall, recordModelCall } from './model-calls.ts';
export type { ModelCost, ModelPrice, PriceTable } from './prices.ts';
export { findModelPrice, isPriced, PRICE_TABLE_VERSION, PRICE_TABLES, priceModelCall } from './prices.ts';
