import { index, integer, numeric, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** One model call's cost record: tokens, latency and cost from a versioned price table. */
export const modelCalls = pgTable(
  'model_calls',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id'),
    conversationId: text('conversation_id'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    operation: text('operation').notNull().default('generate'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    latencyMs: integer('latency_ms').notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 14, scale: 8 }).notNull().default('0'),
    priceVersion: text('price_version').notNull(),
    outcome: text('outcome').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('model_calls_tenant_created_idx').on(table.tenantId, table.createdAt),
    index('model_calls_agent_idx').on(table.tenantId, table.agentId),
  ],
);
