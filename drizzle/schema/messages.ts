import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { conversations } from './conversations.ts';
import { tenantId } from './tenant-column.ts';

/** The transcript. `client_message_id` makes an inbound message idempotent per conversation. */
export const messages = pgTable(
  'messages',
  {
    id: id(),
    tenantId: tenantId(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['user', 'assistant', 'system', 'tool'] }).notNull(),
    content: text('content').notNull(),
    clientMessageId: text('client_message_id'),
    nodeId: text('node_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('messages_conversation_seq_key').on(table.tenantId, table.conversationId, table.seq),
    uniqueIndex('messages_client_id_key').on(table.tenantId, table.conversationId, table.clientMessageId),
    index('messages_conversation_idx').on(table.conversationId, table.seq),
  ],
);
