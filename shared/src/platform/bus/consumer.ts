import type { Database, Tx } from '../db/index.ts';
import { tables } from '../db/index.ts';
import type { EventHandler } from './bus.ts';
import type { EventEnvelope } from './events.ts';

/** The effect of an event, run inside the transaction that records the event as processed. */
export type TransactionalEventHandler = (event: EventEnvelope, tx: Tx) => Promise<void>;

export interface IdempotentHandlerOptions {
  /** Called (after the transaction) when a redelivered event was recognised and skipped. */
  onDuplicate?: (event: EventEnvelope) => void;
}

/**
 * Wraps a consumer's effect so that a redelivered event never has its effect twice. In one
 * transaction scoped to the event's tenant it inserts `(tenant_id, consumer, event_id)` into
 * `processed_events` with ON CONFLICT DO NOTHING and runs `handler` only if that row is new; if the
 * handler throws, the whole transaction (marker included) rolls back and the bus retries.
 * Two concurrent deliveries of one event serialise on the primary key: the second waits for the
 * first to commit and then sees the conflict. Only effects written through `tx` are covered;
 * anything sent outside the database (an e-mail, an HTTP call) needs its own idempotency key —
 * `event.id` is the natural one.
 *
 * @example
 * await bus.subscribe('analytics', ['conversation.ended'], idempotentHandler(db, 'analytics',
 *   async (event, tx) => { await tx.insert(tables.conversationStats).values(...) }));
 */
export function idempotentHandler(
  db: Database,
  consumer: string,
  handler: TransactionalEventHandler,
  options: IdempotentHandlerOptions = {},
): EventHandler {
  return async (event) => {
    const fresh = await db.withTenant({ tenantId: event.tenantId, userId: null }, async (tx) => {
      const inserted = await tx
        .insert(tables.processedEvents)
        .values({ tenantId: event.tenantId, consumer, eventId: event.id })
        .onConflictDoNothing()
        .returning({ eventId: tables.processedEvents.eventId });
      if (inserted.length === 0) return false;
      await handler(event, tx);
      return true;
    });
    if (!fresh) options.onDuplicate?.(event);
  };
}
