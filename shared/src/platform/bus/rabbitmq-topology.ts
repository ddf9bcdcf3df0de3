import type { EventTopic } from './events.ts';

/**
 * Names of the broker objects the RabbitMQ adapter declares for one exchange. Everything hangs off
 * the exchange name, so two deployments (or two test runs) with different exchanges never share a
 * queue.
 *
 * - `exchange` (topic): events, routed by topic to every consumer queue bound to it.
 * - `deadLetterExchange` (direct): routes by queue name; brings expired retries back to their own
 *   consumer queue (never to the whole topic, which would redeliver to consumers that succeeded)
 *   and carries rejected messages to the consumer's dead-letter queue.
 * - per consumer: the main queue, a retry queue (messages wait out a per-message TTL there and then
 *   dead-letter back) and a dead-letter queue for events that exhausted their deliveries or are
 *   malformed.
 */
export interface RabbitMqTopology {
  readonly exchange: string;
  readonly deadLetterExchange: string;
  queue(consumer: string): string;
  retryQueue(consumer: string): string;
  deadLetterQueue(consumer: string): string;
}

/** The topology used by `createRabbitMqBus({ exchange })`; tests use it to inspect queues. */
export function rabbitMqTopology(exchange: string): RabbitMqTopology {
  return {
    exchange,
    deadLetterExchange: `${exchange}.dlx`,
    queue: (consumer) => `${exchange}.${consumer}`,
    retryQueue: (consumer) => `${exchange}.${consumer}.retry`,
    deadLetterQueue: (consumer) => `${exchange}.${consumer}.dlq`,
  };
}

const CONSUMER_NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/i;

/** Consumer names become queue names; keep them to a safe, dot-free alphabet. */
export function assertConsumerName(consumer: string): void {
  if (!CONSUMER_NAME.test(consumer)) {
    throw new Error(`invalid consumer name "${consumer}": use letters, digits, "-" and "_" only`);
  }
}

/** Topic-exchange binding keys for a subscription: `*` (all topics) is the AMQP wildcard `#`. */
export function bindingKeys(topics: readonly (EventTopic | '*')[]): string[] {
  if (topics.length === 0) throw new Error('subscribe needs at least one topic');
  return topics.includes('*') ? ['#'] : [...new Set(topics)];
}

/** Header carrying how many deliveries of a message have already failed. */
export const ATTEMPTS_HEADER = 'x-lumay-attempts';
/** Header carrying the last handler error, for whoever inspects the dead-letter queue. */
export const ERROR_HEADER = 'x-lumay-error';

/** The 1-based number of the delivery at hand, from the failure count the adapter stamps on retries. */
export function deliveryAttempt(headers: Record<string, unknown> | undefined): number {
  const failures = Number(headers?.[ATTEMPTS_HEADER] ?? 0);
  return Number.isInteger(failures) && failures > 0 ? failures + 1 : 1;
}

/** Headers for a republished copy: the broker's own dead-letter bookkeeping is dropped. */
export function forwardHeaders(
  headers: Record<string, unknown> | undefined,
  failures: number,
  error: string,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key === 'x-death' || key.startsWith('x-first-death') || key.startsWith('x-last-death')) continue;
    kept[key] = value;
  }
  kept[ATTEMPTS_HEADER] = failures;
  kept[ERROR_HEADER] = error.slice(0, 1000);
  return kept;
}

/** Exponential delay (base·2^(n−1)) capped at `max`; `n` is the failed attempt's number. */
export function exponentialDelay(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
}

/** Reconnect delay: capped exponential with ±20% jitter so many clients don't reconnect in lockstep. */
export function reconnectDelay(attempt: number, initial: number, max: number): number {
  const delay = exponentialDelay(attempt, initial, max);
  return Math.round(Math.min(max, delay * (0.8 + Math.random() * 0.4)));
}

/** A short, single-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
