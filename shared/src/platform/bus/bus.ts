import type { EventEnvelope, EventTopic } from './events.ts';

/** A consumer's handler. Throwing means "retry later"; delivery is at-least-once. */
export type EventHandler = (event: EventEnvelope) => Promise<void>;

/**
 * The event-bus port. Adapters: in-process (embedded), RabbitMQ (Node), Cloudflare Queues (edge).
 * Producers never call `publish` from request code: they write to the outbox in the same
 * transaction as the change, and the relay publishes (see `outbox.ts`).
 */
export interface EventBus {
  readonly name: string;
  /** Resolves once the transport has durably accepted the event (publisher confirm). */
  publish(event: EventEnvelope): Promise<void>;
  /**
   * Registers a named, durable consumer for the given topics (`*` for all). Each consumer name gets
   * its own queue, so every consumer sees every event once.
   */
  subscribe(consumer: string, topics: readonly (EventTopic | '*')[], handler: EventHandler): Promise<void>;
  close(): Promise<void>;
}
