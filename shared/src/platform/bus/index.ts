export type { EventBus, EventHandler } from './bus.ts';
export type { IdempotentHandlerOptions, TransactionalEventHandler } from './consumer.ts';
export { idempotentHandler } from './consumer.ts';
export type { EventEnvelope, EventPayload, EventTopic } from './events.ts';
export { EVENT_SCHEMAS, isEventTopic, parseEventEnvelope } from './events.ts';
export { createInProcessBus } from './in-process.ts';
export { enqueueEvent } from './outbox.ts';
export type { OutboxRelay, OutboxRelayOptions, RelayReport } from './relay.ts';
export { createOutboxRelay } from './relay.ts';
