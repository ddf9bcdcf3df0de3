import { integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { calls } from './calls.ts';
import { createdAt, id } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * Twilio status callbacks already applied to a call: the unique key makes a replayed or retried
 * callback a no-op.
 */
export const callStatusEvents = pgTable(
  'call_status_events',
  {
    id: id(),
    tenantId: tenantId(),
    callId: text('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    sequenceNumber: integer('sequence_number').notNull(),
    status: text('status').notNull(),
    durationSeconds: integer('duration_seconds'),
    answeredBy: text('answered_by'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('call_status_events_key').on(
      table.tenantId,
      table.callId,
      table.sequenceNumber,
      table.status,
    ),
  ],
);
