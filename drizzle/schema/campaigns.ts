import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** When a campaign may call: local days (0 = Sunday) and a start/end time ('HH:MM') in `timezone`. */
export interface CampaignWindowValue {
  timezone: string;
  days: number[];
  start: string;
  end: string;
}

/** How fast a campaign dials: new calls per minute and calls in flight at once. */
export interface CampaignPacingValue {
  callsPerMinute: number;
  maxConcurrent: number;
}

/** How often a contact is tried (in total) and how long to wait between tries. */
export interface CampaignRetryValue {
  maxAttempts: number;
  backoffMinutes: number;
}

/** An outbound calling campaign: an agent calls a contact list inside a time window, paced. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    name: text('name').notNull(),
    fromNumber: text('from_number').notNull(),
    status: text('status', { enum: ['draft', 'running', 'paused', 'completed'] })
      .notNull()
      .default('draft'),
    window: jsonb('window').$type<CampaignWindowValue>().notNull(),
    pacing: jsonb('pacing').$type<CampaignPacingValue>().notNull(),
    retry: jsonb('retry').$type<CampaignRetryValue>().notNull(),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [
    index('campaigns_tenant_idx').on(table.tenantId, table.id),
    index('campaigns_tenant_status_idx').on(table.tenantId, table.status),
  ],
);
