import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenantId } from './tenant-column.ts';

/** Consumer idempotency: an event id is processed at most once per consumer. */
export const processedEvents = pgTable(
  'processed_events',
  {
    tenantId: tenantId(),
    consumer: text('consumer').notNull(),
    eventId: text('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.consumer, table.eventId] })],
);
