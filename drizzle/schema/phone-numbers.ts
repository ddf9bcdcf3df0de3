import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * A phone number on the platform's Twilio account, routed to one agent of one tenant. `number` (E.164)
 * is unique across the platform: an inbound call is routed by the number it was placed to, before the
 * tenant is known (`lumay_private.voice_route_number`, migration 0006).
 */
export const phoneNumbers = pgTable(
  'phone_numbers',
  {
    id: id(),
    tenantId: tenantId(),
    number: text('number').notNull(),
    agentId: text('agent_id').notNull(),
    mode: text('mode', { enum: ['media_stream', 'conversation_relay'] })
      .notNull()
      .default('media_stream'),
    label: text('label'),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('phone_numbers_number_key').on(table.number),
    index('phone_numbers_tenant_idx').on(table.tenantId, table.id),
    index('phone_numbers_tenant_agent_idx').on(table.tenantId, table.agentId),
  ],
);
