import { and, asc, eq } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { enqueueEvent, type Tx, tables } from '../../platform/index.ts';
import { toCallView } from './views.ts';

type CallRow = typeof tables.calls.$inferSelect;

/** The number an outbound call shows, and its row. */
export interface CallerNumber {
  number: string;
  phoneNumberId: string;
}

/**
 * The caller id of an outbound call. Only the tenant's own active numbers may be shown (no spoofing of
 * another tenant's number on the shared Twilio account); without `from`, the agent's first active number.
 */
export async function resolveCallerNumber(tx: Tx, agentId: string, from?: string): Promise<CallerNumber> {
  const numbers = tables.phoneNumbers;
  const [row] = await tx
    .select({ id: numbers.id, number: numbers.number })
    .from(numbers)
    .where(
      and(
        eq(numbers.status, 'active'),
        from === undefined ? eq(numbers.agentId, agentId) : eq(numbers.number, from),
      ),
    )
    .orderBy(asc(numbers.id))
    .limit(1);
  if (row) return { number: row.number, phoneNumberId: row.id };
  throw new AppError(
    'validation_failed',
    from === undefined
      ? 'from is required: the agent has no active phone number to call from'
      : `from must be an active phone number of this tenant; ${from} is not`,
  );
}

export interface OutboundCallRecord {
  agentId: string;
  to: string;
  caller: CallerNumber;
  metadata?: Record<string, string> | undefined;
  campaignId?: string | undefined;
  campaignContactId?: string | undefined;
}

/**
 * Inserts an outbound call in `requested` and, in the same transaction, its audit row and the
 * `outbound.call.requested` event the voice node dials from. The one path of API and campaign calls.
 */
export async function insertOutboundCall(
  tx: Tx,
  context: RequestContext,
  record: OutboundCallRecord,
  now: Date,
): Promise<CallRow> {
  const [row] = await tx
    .insert(tables.calls)
    .values({
      id: newId('call'),
      tenantId: context.tenantId,
      agentId: record.agentId,
      phoneNumberId: record.caller.phoneNumberId,
      campaignId: record.campaignId ?? null,
      campaignContactId: record.campaignContactId ?? null,
      direction: 'outbound',
      fromNumber: record.caller.number,
      toNumber: record.to,
      status: 'requested',
      metadata: record.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await appendAudit(tx, context, {
    action: 'call.create',
    resourceType: 'call',
    resourceId: row.id,
    after: toCallView(row),
  });
  await enqueueEvent(tx, context.tenantId, 'outbound.call.requested', {
    callId: row.id,
    agentId: row.agentId,
    to: row.toNumber,
    from: row.fromNumber,
    ...(row.campaignId ? { campaignId: row.campaignId } : {}),
  });
  return row;
}
