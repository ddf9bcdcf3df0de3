import { newId } from '../../core/index.ts';
import type { Tx } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { EVENT_SCHEMAS, type EventEnvelope, type EventPayload, type EventTopic } from './events.ts';

/**
 * Records an event in the outbox inside the caller's tenant transaction, so the event exists if and
 * only if the change commits. The relay publishes it later.
 */
export async function enqueueEvent<Topic extends EventTopic>(
  tx: Tx,
  tenantId: string,
  topic: Topic,
  payload: EventPayload<Topic>,
): Promise<EventEnvelope<Topic>> {
  const parsed = EVENT_SCHEMAS[topic].parse(payload) as EventPayload<Topic>;
  const event: EventEnvelope<Topic> = {
    id: newId('event'),
    tenantId,
    topic,
    payload: parsed,
    occurredAt: new Date().toISOString(),
  };
  await tx.insert(tables.outbox).values({
    id: event.id,
    tenantId,
    topic,
    payload: parsed,
    createdAt: new Date(event.occurredAt),
  });
  return event;
}
