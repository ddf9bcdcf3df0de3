import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { conversations } from './conversations.ts';
import { tenantId } from './tenant-column.ts';

/** A conversation handed to a human, with the reason and a summary for the person taking over. */
export const handoffs = pgTable(
  'handoffs',
  {
    id: id(),
    tenantId: tenantId(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    reason: text('reason').notNull(),
    summary: text('summary'),
    queue: text('queue'),
    status: text('status', { enum: ['open', 'accepted', 'closed'] })
      .notNull()
      .default('open'),
    assignedTo: text('assigned_to'),
    ...timestamps(),
  },
  (table) => [index('handoffs_tenant_status_idx').on(table.tenantId, table.status, table.id)],
);
