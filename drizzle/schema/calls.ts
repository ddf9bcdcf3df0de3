import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * One phone call (inbound or outbound) handled by an agent. `turns` holds the per-turn voice record
 * (what the caller said, what the agent said and how much of it was heard, the latency chain); the
 * transcript itself is the linked conversation's messages. `stream_token_hash` is the SHA-256 of the
 * one-time token the voice node's WebSocket presents; it is cleared when claimed.
 */
export const calls = pgTable(
  'calls',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    conversationId: text('conversation_id'),
    phoneNumberId: text('phone_number_id'),
    campaignId: text('campaign_id'),
    campaignContactId: text('campaign_contact_id'),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    fromNumber: text('from_number').notNull(),
    toNumber: text('to_number').notNull(),
    twilioCallSid: text('twilio_call_sid'),
    status: text('status', {
      enum: [
        'requested',
        'dialing',
        'ringing',
        'in_progress',
        'completed',
        'busy',
        'no_answer',
        'failed',
        'canceled',
      ],
    })
      .notNull()
      .default('requested'),
    answeredBy: text('answered_by'),
    streamTokenHash: text('stream_token_hash'),
    streamTokenExpiresAt: timestamp('stream_token_expires_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    durationSeconds: integer('duration_seconds'),
    endReason: text('end_reason'),
    transferTo: text('transfer_to'),
    summary: text('summary'),
    turns: jsonb('turns').$type<Record<string, unknown>[]>().notNull().default([]),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('calls_twilio_call_sid_key').on(table.twilioCallSid),
    index('calls_tenant_idx').on(table.tenantId, table.id),
    index('calls_tenant_status_idx').on(table.tenantId, table.status, table.id),
    index('calls_tenant_agent_idx').on(table.tenantId, table.agentId, table.id),
    index('calls_campaign_idx').on(table.tenantId, table.campaignId, table.createdAt),
  ],
);
