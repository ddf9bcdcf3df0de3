import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { conversations } from './conversations.ts';
import { tenantId } from './tenant-column.ts';

/** Typed engine events (turn-start, step-end, tool-call, approval-requested, turn-end) for analytics. */
export const conversationEvents = pgTable(
  'conversation_events',
  {
    id: id(),
    tenantId: tenantId(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    nodeId: text('node_id'),
    agentId: text('agent_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (table) => [
    index('conversation_events_conversation_idx').on(table.tenantId, table.conversationId, table.id),
  ],
);
