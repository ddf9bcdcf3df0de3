export type { EventBus, EventHandler } from './bus.ts';
export type { EventEnvelope, EventPayload, EventTopic } from './events.ts';
export { EVENT_SCHEMAS, isEventTopic } from './events.ts';
export { createInProcessBus } from './in-process.ts';
export { enqueueEvent } from './outbox.ts';
