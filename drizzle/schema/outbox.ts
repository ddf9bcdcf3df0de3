import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** Events written in the same transaction as the change that caused them; a relay publishes them. */
export const outbox = pgTable(
  'outbox',
  {
    id: id(),
    tenantId: tenantId(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (table) => [index('outbox_unsent_idx').on(table.createdAt).where(sql`sent_at is null`)],
);
