import { eq } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import { type Tx, tables } from '../../platform/index.ts';

export type CallRow = typeof tables.calls.$inferSelect;

/** A call of the transaction's tenant (RLS hides the others: 404), optionally locked for update. */
export async function findCall(tx: Tx, id: string, lock = false): Promise<CallRow> {
  const query = tx.select().from(tables.calls).where(eq(tables.calls.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found', 'Call not found');
  return row;
}

/** Caller ids Twilio reports are not always numbers ("anonymous", "client:alice"): stored as given, bounded. */
export function callerId(value: string): string {
  return value.replaceAll('\u0000', '').trim().slice(0, 64);
}

/** Free text the voice node hands over (summaries, transfer targets), without NUL and bounded. */
export function boundedText(value: string | null | undefined, limit: number): string | null | undefined {
  return typeof value === 'string' ? value.replaceAll('\u0000', '').slice(0, limit) : value;
}
