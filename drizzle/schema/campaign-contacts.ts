import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns.ts';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * One person a campaign calls. `pending` with a future `next_attempt_at` is a retry waiting for its
 * backoff; `last_call_id` is the call whose outcome decides the contact's next state.
 */
export const campaignContacts = pgTable(
  'campaign_contacts',
  {
    id: id(),
    tenantId: tenantId(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    phone: text('phone').notNull(),
    name: text('name'),
    variables: jsonb('variables').$type<Record<string, string>>().notNull().default({}),
    status: text('status', {
      enum: ['pending', 'calling', 'completed', 'failed', 'exhausted', 'skipped'],
    })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastCallId: text('last_call_id'),
    lastResult: text('last_result'),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('campaign_contacts_phone_key').on(table.tenantId, table.campaignId, table.phone),
    index('campaign_contacts_due_idx').on(
      table.tenantId,
      table.campaignId,
      table.status,
      table.nextAttemptAt,
    ),
    index('campaign_contacts_list_idx').on(table.tenantId, table.campaignId, table.id),
  ],
);
