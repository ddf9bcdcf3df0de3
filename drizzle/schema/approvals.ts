import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { conversations } from './conversations.ts';
import { tenantId } from './tenant-column.ts';

/** A human-in-the-loop gate: the proposed action and its data, waiting for a decision or expiry. */
export const approvals = pgTable(
  'approvals',
  {
    id: id(),
    tenantId: tenantId(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    nodeId: text('node_id').notNull(),
    action: text('action').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: ['pending', 'approved', 'rejected', 'expired'] })
      .notNull()
      .default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionNote: text('decision_note'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    ...timestamps(),
  },
  (table) => [index('approvals_tenant_status_idx').on(table.tenantId, table.status, table.id)],
);
