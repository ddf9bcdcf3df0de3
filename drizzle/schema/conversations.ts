import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * One conversation with an agent on a channel, pinned to the flow version it started on. `state` is
 * the engine's persisted state (current node, variables, slots, delegation stack, pending approval),
 * written after every step so a conversation resumes after a restart; `state_revision` guards it.
 */
export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    flowId: text('flow_id'),
    flowVersion: integer('flow_version'),
    channel: text('channel').notNull(),
    status: text('status', {
      enum: ['active', 'waiting_approval', 'delegated', 'handed_off', 'ended', 'failed'],
    })
      .notNull()
      .default('active'),
    state: jsonb('state').$type<Record<string, unknown>>().notNull().default({}),
    stateRevision: integer('state_revision').notNull().default(0),
    parentConversationId: text('parent_conversation_id'),
    externalRef: text('external_ref'),
    turnCount: integer('turn_count').notNull().default(0),
    outcome: text('outcome'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    ...timestamps(),
  },
  (table) => [
    index('conversations_tenant_agent_idx').on(table.tenantId, table.agentId, table.id),
    index('conversations_parent_idx').on(table.tenantId, table.parentConversationId),
  ],
);
