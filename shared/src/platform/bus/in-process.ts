import type { EventBus, EventHandler } from './bus.ts';
import type { EventEnvelope, EventTopic } from './events.ts';

interface Subscription {
  consumer: string;
  topics: ReadonlySet<EventTopic | '*'>;
  handler: EventHandler;
}

/**
 * The embedded event bus: delivery inside one process, asynchronous (a handler never runs inside the
 * publisher's call stack), with bounded retries; events that still fail are kept in `deadLetters`.
 */
export function createInProcessBus(
  options: { maxAttempts?: number; retryDelayMs?: number } = {},
): EventBus & {
  readonly deadLetters: readonly { consumer: string; event: EventEnvelope; error: unknown }[];
  idle(): Promise<void>;
} {
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 50;
  const subscriptions: Subscription[] = [];
  const deadLetters: { consumer: string; event: EventEnvelope; error: unknown }[] = [];
  const pending = new Set<Promise<void>>();
  let closed = false;

  async function deliver(subscription: Subscription, event: EventEnvelope): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await subscription.handler(event);
        return;
      } catch (error) {
        if (attempt >= maxAttempts || closed) {
          deadLetters.push({ consumer: subscription.consumer, event, error });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      }
    }
  }

  return {
    name: 'in-process',
    deadLetters,
    async publish(event) {
      if (closed) throw new Error('event bus is closed');
      for (const subscription of subscriptions) {
        if (!subscription.topics.has('*') && !subscription.topics.has(event.topic)) continue;
        const task = new Promise<void>((resolve) => setTimeout(resolve, 0))
          .then(() => deliver(subscription, structuredClone(event)))
          .finally(() => pending.delete(task));
        pending.add(task);
      }
    },
    async subscribe(consumer, topics, handler) {
      subscriptions.push({ consumer, topics: new Set(topics), handler });
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      closed = true;
      await Promise.allSettled([...pending]);
      subscriptions.length = 0;
    },
  };
}
