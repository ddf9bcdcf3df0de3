import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type Message,
  type Options,
} from 'amqplib';
import type { EventBus, EventHandler } from './bus.ts';
import { type EventEnvelope, type EventTopic, parseEventEnvelope } from './events.ts';
import {
  assertConsumerName,
  bindingKeys,
  deliveryAttempt,
  describeError,
  exponentialDelay,
  forwardHeaders,
  type RabbitMqTopology,
  rabbitMqTopology,
  reconnectDelay,
} from './rabbitmq-topology.ts';

/** Where the adapter reports what it cannot throw to anyone (lost connections, unroutable events). */
export interface BusLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface RabbitMqBusOptions {
  /** amqp:// or amqps:// URL. */
  url: string;
  /** Durable topic exchange events are published to. Default `lumay.events`. */
  exchange?: string;
  /** Unacknowledged deliveries per consumer, i.e. how many handlers run at once. Default 16. */
  prefetch?: number;
  /** Deliveries (first + retries) before an event goes to the consumer's dead-letter queue. Default 5. */
  maxDeliveries?: number;
  /** Delay before the first retry; doubles per failure. Default 1000 ms. */
  retryDelayMs?: number;
  /** Cap on the retry delay. Default 60 000 ms. */
  maxRetryDelayMs?: number;
  /** How long `publish` (and `subscribe`) wait for a connection and the broker's confirm. Default 10 000 ms. */
  operationTimeoutMs?: number;
  /** First reconnect delay; doubles per failed attempt. Default 100 ms. */
  reconnectDelayMs?: number;
  /** Cap on the reconnect delay. Default 10 000 ms. */
  maxReconnectDelayMs?: number;
  /** AMQP heartbeat, so a silently dead broker is noticed. Default 10 s. */
  heartbeatSeconds?: number;
  /** Shown by the broker (management UI, `rabbitmqctl list_connections`). Default `lumay`. */
  connectionName?: string;
  logger?: BusLogger;
}

/** Counters for operators and tests. */
export interface RabbitMqBusStats {
  connected: boolean;
  /** Successful connections, the first included: `connects - 1` is the number of recoveries. */
  connects: number;
  published: number;
  /** Published events no queue was bound for (returned by the broker under `mandatory`). */
  unroutable: number;
  retried: number;
  deadLettered: number;
}

/** The RabbitMQ event bus, with its broker topology and counters exposed for operations. */
export interface RabbitMqBus extends EventBus {
  readonly topology: RabbitMqTopology;
  stats(): RabbitMqBusStats;
}

interface Subscription {
  consumer: string;
  keys: string[];
  handler: EventHandler;
}

interface ConsumerChannel {
  channel: Channel;
  tag: string;
  /** False once the channel closed: its delivery tags are meaningless on any other channel. */
  open: boolean;
  cancelling: boolean;
}

/** One connection and the channels opened on it; replaced wholesale on recovery. */
interface Session {
  connection: ChannelModel;
  publisher: ConfirmChannel;
  consumers: Map<string, ConsumerChannel>;
  open: boolean;
  /** Set while the publish channel's write buffer is full; resolves on 'drain'. */
  drained: Promise<void> | null;
}

interface Waiter {
  resolve(session: Session): void;
  reject(error: Error): void;
}

/**
 * The RabbitMQ event bus for Node deployments.
 *
 * Publishing: persistent messages on a durable topic exchange, through a confirm channel, resolving
 * only after the broker's ack; `mandatory` is set, so an event no queue is bound for comes back as
 * `basic.return`, which is logged and counted (it still resolves: there is no consumer to deliver to).
 * During an outage `publish` waits for the reconnection up to `operationTimeoutMs`, then rejects and
 * the outbox relay retries the row later.
 *
 * Consuming: one durable queue per consumer name, bound to its topics; handlers run up to `prefetch`
 * at a time. A failing handler's message is republished to the consumer's retry queue with a
 * per-message TTL (exponential delay) and a failure-count header, and dead-letters back to the same
 * consumer queue when the TTL expires; after `maxDeliveries` it goes to the consumer's dead-letter
 * queue with the last error in a header. Malformed messages go straight there.
 * Retry queues were chosen over quorum queues' `delivery-limit`: a quorum queue redelivers a nacked
 * message at once, so a dependency outage would burn every attempt within milliseconds, and the
 * broker cannot stamp the handler's error on the dead-lettered message. (Caveat: per-message TTL
 * expires at the head of the retry queue only, so a long delay can hold shorter ones behind it —
 * bounded by `maxRetryDelayMs`.)
 *
 * Recovery: amqplib does not reconnect, so on connection `error`/`close` (or any channel closing
 * unexpectedly) the adapter drops the whole session, reconnects with capped exponential backoff,
 * re-declares the topology and re-subscribes every consumer. Deliveries still being handled on the
 * dead session are never acknowledged on the new one (the tags would be unknown there): the broker
 * redelivers them, and idempotent consumers absorb the duplicate.
 */
export function createRabbitMqBus(options: RabbitMqBusOptions): RabbitMqBus {
  const topology = rabbitMqTopology(options.exchange ?? 'lumay.events');
  const prefetch = options.prefetch ?? 16;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  const operationTimeoutMs = options.operationTimeoutMs ?? 10_000;
  const firstReconnectDelayMs = options.reconnectDelayMs ?? 100;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 10_000;
  const logger: BusLogger = options.logger ?? { warn: (message, details) => console.warn(message, details) };

  const subscriptions = new Map<string, Subscription>();
  const inFlight = new Set<Promise<void>>();
  const waiters = new Set<Waiter>();
  const sleepers = new Set<{ timer: ReturnType<typeof setTimeout>; wake: () => void }>();
  const counters = { connects: 0, published: 0, unroutable: 0, retried: 0, deadLettered: 0 };
  let current: Session | null = null;
  let connecting: Promise<void> | null = null;
  let closing = false;
  let closed: Promise<void> | null = null;

  const connectUrl = new URL(options.url);
  if (!connectUrl.searchParams.has('heartbeat')) {
    connectUrl.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 10));
  }

  /** A timer that `close()` can cut short. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => sleeper.wake(), ms),
        wake: () => {
          clearTimeout(sleeper.timer);
          sleepers.delete(sleeper);
          resolve();
        },
      };
      sleepers.add(sleeper);
    });
  }

  async function declareConsumer(channel: Channel, subscription: Subscription): Promise<void> {
    const queue = topology.queue(subscription.consumer);
    const retryQueue = topology.retryQueue(subscription.consumer);
    const deadLetterQueue = topology.deadLetterQueue(subscription.consumer);
    await channel.assertQueue(deadLetterQueue, { durable: true });
    await channel.bindQueue(deadLetterQueue, topology.deadLetterExchange, deadLetterQueue);
    // Anything the broker itself rejects from the main queue lands in the dead-letter queue too.
    await channel.assertQueue(queue, {
      durable: true,
      deadLetterExchange: topology.deadLetterExchange,
      deadLetterRoutingKey: deadLetterQueue,
    });
    await channel.bindQueue(queue, topology.deadLetterExchange, queue);
    for (const key of subscription.keys) await channel.bindQueue(queue, topology.exchange, key);
    await channel.assertQueue(retryQueue, {
      durable: true,
      deadLetterExchange: topology.deadLetterExchange,
      deadLetterRoutingKey: queue,
    });
  }

  /** Publishes on the session's confirm channel and resolves on the broker's ack. */
  async function confirmPublish(
    session: Session,
    exchange: string,
    routingKey: string,
    content: Buffer,
    publishOptions: Options.Publish,
  ): Promise<void> {
    // `publish` returning false means the socket buffer is full: add nothing more until 'drain'.
    while (session.drained) await session.drained;
    const channel = session.publisher;
    await new Promise<void>((resolve, reject) => {
      try {
        const accepted = channel.publish(exchange, routingKey, content, publishOptions, (error: unknown) => {
          if (error)
            reject(error instanceof Error ? error : new Error(`broker refused the message: ${error}`));
          else resolve();
        });
        if (!accepted && !session.drained) {
          session.drained = new Promise<void>((wake) => {
            const done = () => {
              channel.off('drain', done);
              channel.off('close', done);
              session.drained = null;
              wake();
            };
            channel.on('drain', done);
            channel.on('close', done);
          });
        }
      } catch (error) {
        reject(error);
      }
    });
  }

  function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`RabbitMQ ${what} timed out after ${operationTimeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  function settle(state: ConsumerChannel, message: Message, outcome: 'ack' | 'requeue'): void {
    // Acking on a closed channel is pointless and on a new one is a protocol error: let the broker redeliver.
    if (!state.open) return;
    try {
      if (outcome === 'ack') state.channel.ack(message);
      else state.channel.nack(message, false, true);
    } catch (error) {
      logger.warn('RabbitMQ: could not settle a delivery', { error: describeError(error) });
    }
  }

  /** Republishes a delivery (to its retry or dead-letter queue) and only then acks the original. */
  async function forward(
    session: Session,
    state: ConsumerChannel,
    message: ConsumeMessage,
    queue: string,
    headers: Record<string, unknown>,
    expirationMs?: number,
  ): Promise<boolean> {
    if (!state.open || !session.open) return false;
    const properties = message.properties;
    try {
      await withDeadline(
        confirmPublish(session, '', queue, message.content, {
          persistent: true,
          mandatory: true,
          messageId: properties.messageId,
          contentType: properties.contentType,
          type: properties.type,
          timestamp: properties.timestamp,
          headers,
          ...(expirationMs === undefined ? {} : { expiration: String(expirationMs) }),
        }),
        Date.now() + operationTimeoutMs,
        'forward',
      );
    } catch (error) {
      logger.warn('RabbitMQ: could not forward a delivery; it will be redelivered', {
        queue,
        error: describeError(error),
      });
      settle(state, message, 'requeue');
      return false;
    }
    settle(state, message, 'ack');
    return true;
  }

  async function handleDelivery(
    session: Session,
    state: ConsumerChannel,
    subscription: Subscription,
    message: ConsumeMessage,
  ): Promise<void> {
    const deadLetterQueue = topology.deadLetterQueue(subscription.consumer);
    let event: EventEnvelope;
    try {
      event = parseEventEnvelope(JSON.parse(message.content.toString('utf8')));
    } catch (error) {
      const headers = forwardHeaders(message.properties.headers, 0, `malformed: ${describeError(error)}`);
      if (await forward(session, state, message, deadLetterQueue, headers)) counters.deadLettered += 1;
      return;
    }
    const attempt = deliveryAttempt(message.properties.headers);
    try {
      await subscription.handler(event);
    } catch (error) {
      const headers = forwardHeaders(message.properties.headers, attempt, describeError(error));
      if (attempt >= maxDeliveries) {
        logger.warn('RabbitMQ: event dead-lettered after its last delivery', {
          consumer: subscription.consumer,
          eventId: event.id,
          attempts: attempt,
          error: describeError(error),
        });
        if (await forward(session, state, message, deadLetterQueue, headers)) counters.deadLettered += 1;
      } else {
        const delay = exponentialDelay(attempt, retryDelayMs, maxRetryDelayMs);
        const retryQueue = topology.retryQueue(subscription.consumer);
        if (await forward(session, state, message, retryQueue, headers, delay)) counters.retried += 1;
      }
      return;
    }
    settle(state, message, 'ack');
  }

  async function startConsumer(session: Session, subscription: Subscription): Promise<void> {
    const channel = await session.connection.createChannel();
    const state: ConsumerChannel = { channel, tag: '', open: true, cancelling: false };
    let ready = false;
    channel.on('error', (error: Error) => {
      logger.warn('RabbitMQ: consumer channel error', {
        consumer: subscription.consumer,
        error: describeError(error),
      });
    });
    channel.on('close', () => {
      state.open = false;
      // During setup the failure reaches the caller; afterwards a channel the server closed (or a
      // cancelled consumer, e.g. its queue was deleted) is recovered the only reliable way: a new session.
      if (ready && !state.cancelling)
        loseSession(session, `consumer channel ${subscription.consumer} closed`);
    });
    try {
      await channel.prefetch(prefetch);
      await declareConsumer(channel, subscription);
      const { consumerTag } = await channel.consume(
        topology.queue(subscription.consumer),
        (message) => {
          if (message === null) {
            loseSession(session, `consumer ${subscription.consumer} was cancelled by the broker`);
            return;
          }
          const task = handleDelivery(session, state, subscription, message)
            .catch((error: unknown) => {
              logger.warn('RabbitMQ: delivery failed unexpectedly', { error: describeError(error) });
            })
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        },
        { noAck: false },
      );
      state.tag = consumerTag;
      ready = true;
      session.consumers.set(subscription.consumer, state);
    } catch (error) {
      await channel.close().catch(() => {});
      throw error;
    }
  }

  async function openSession(): Promise<Session> {
    const connection = await connect(connectUrl.toString(), {
      timeout: Math.min(operationTimeoutMs, 10_000),
      clientProperties: { connection_name: options.connectionName ?? 'lumay' },
    });
    // Listen at once: an 'error' emitted with no listener would crash the process. Until the session
    // exists a failure just makes the next setup step reject, and the reconnect loop tries again.
    let session: Session | null = null;
    connection.on('error', (error: Error) => session && loseSession(session, describeError(error)));
    connection.on('close', () => session && loseSession(session, 'connection closed'));
    connection.on('blocked', (reason: string) => logger.warn('RabbitMQ: connection blocked', { reason }));
    try {
      const publisher = await connection.createConfirmChannel();
      const created: Session = { connection, publisher, consumers: new Map(), open: true, drained: null };
      session = created;
      publisher.on('error', (error: Error) => {
        logger.warn('RabbitMQ: publish channel error', { error: describeError(error) });
      });
      publisher.on('close', () => loseSession(created, 'publish channel closed'));
      publisher.on('return', (message: Message) => {
        counters.unroutable += 1;
        logger.warn('RabbitMQ: event had no queue bound for its topic and was dropped', {
          eventId: message.properties.messageId,
          topic: message.fields.routingKey,
        });
      });
      await publisher.assertExchange(topology.exchange, 'topic', { durable: true });
      await publisher.assertExchange(topology.deadLetterExchange, 'direct', { durable: true });
      for (const subscription of subscriptions.values()) await startConsumer(created, subscription);
      if (!created.open) throw new Error('connection lost during setup');
      return created;
    } catch (error) {
      if (session) session.open = false;
      await connection.close().catch(() => {});
      throw error;
    }
  }

  /** Marks a session dead exactly once and starts one recovery, however many events announce it. */
  function loseSession(session: Session, reason: string): void {
    if (!session.open) return;
    session.open = false;
    for (const state of session.consumers.values()) state.open = false;
    if (current === session) current = null;
    session.connection.close().catch(() => {});
    if (closing) return;
    logger.warn('RabbitMQ: connection lost; reconnecting', { reason });
    reconnect();
  }

  function reconnect(): void {
    if (closing || connecting || current) return;
    connecting = (async () => {
      // Cleared synchronously on exit (not in a later .finally), so a session lost right after
      // this one went live still finds no recovery in progress and starts one.
      try {
        await recover();
      } finally {
        connecting = null;
      }
    })();
  }

  async function recover(): Promise<void> {
    for (let attempt = 1; !closing; attempt++) {
      try {
        const session = await openSession();
        if (closing) {
          session.open = false;
          await session.connection.close().catch(() => {});
          return;
        }
        current = session;
        counters.connects += 1;
        if (counters.connects > 1) logger.warn('RabbitMQ: reconnected', { attempts: attempt });
        for (const waiter of waiters) waiter.resolve(session);
        waiters.clear();
        return;
      } catch (error) {
        const delay = reconnectDelay(attempt, firstReconnectDelayMs, maxReconnectDelayMs);
        if (attempt === 1 || delay >= maxReconnectDelayMs) {
          logger.warn('RabbitMQ: connection attempt failed', {
            attempt,
            delay,
            error: describeError(error),
          });
        }
        await pause(delay);
      }
    }
  }

  /** The live session, waiting for (re)connection until `deadline`. */
  function liveSession(deadline: number, what: string): Promise<Session> {
    if (closing) return Promise.reject(new Error('event bus is closed'));
    if (current?.open) return Promise.resolve(current);
    reconnect();
    return new Promise<Session>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          waiters.delete(waiter);
          reject(new Error(`RabbitMQ unavailable: ${what} timed out after ${operationTimeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      const waiter: Waiter = {
        resolve: (live) => {
          clearTimeout(timer);
          resolve(live);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.add(waiter);
    });
  }

  return {
    name: 'rabbitmq',
    topology,

    async publish(event) {
      const checked = parseEventEnvelope(event);
      const body = Buffer.from(JSON.stringify(checked));
      const deadline = Date.now() + operationTimeoutMs;
      for (;;) {
        const live = await liveSession(deadline, 'publish');
        try {
          await withDeadline(
            confirmPublish(live, topology.exchange, checked.topic, body, {
              persistent: true,
              mandatory: true,
              messageId: checked.id,
              contentType: 'application/json',
              type: checked.topic,
              timestamp: Math.floor(Date.parse(checked.occurredAt) / 1000),
            }),
            deadline,
            'publish confirm',
          );
          counters.published += 1;
          return;
        } catch (error) {
          // The connection died under the publish: it may or may not have reached the broker, so
          // publish again on the next session (at-least-once). Anything else is the caller's to retry.
          if (live.open || closing || Date.now() >= deadline) throw error;
        }
      }
    },

    async subscribe(consumer: string, topics: readonly (EventTopic | '*')[], handler: EventHandler) {
      assertConsumerName(consumer);
      if (subscriptions.has(consumer)) throw new Error(`consumer "${consumer}" is already subscribed`);
      const subscription: Subscription = { consumer, keys: bindingKeys(topics), handler };
      // Registered first, so a session opened meanwhile by recovery includes it.
      subscriptions.set(consumer, subscription);
      const deadline = Date.now() + operationTimeoutMs;
      try {
        for (;;) {
          const live = await liveSession(deadline, 'subscribe');
          if (live.consumers.has(consumer)) return;
          try {
            await startConsumer(live, subscription);
            return;
          } catch (error) {
            if (live.open || closing) throw error;
          }
        }
      } catch (error) {
        subscriptions.delete(consumer);
        throw error;
      }
    },

    stats: () => ({ connected: current?.open === true, ...counters }),

    close() {
      closed ??= (async () => {
        closing = true;
        for (const sleeper of [...sleepers]) sleeper.wake();
        for (const waiter of waiters) waiter.reject(new Error('event bus is closed'));
        waiters.clear();
        const live = current;
        if (live?.open) {
          // Stop new deliveries, let running handlers finish and ack on their own channels, then close.
          for (const state of live.consumers.values()) {
            state.cancelling = true;
            if (state.open) await state.channel.cancel(state.tag).catch(() => {});
          }
          while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
          live.open = false;
          for (const state of live.consumers.values()) await state.channel.close().catch(() => {});
          await live.publisher.close().catch(() => {});
          await live.connection.close().catch(() => {});
        }
        current = null;
        await connecting;
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      })();
      return closed;
    },
  };
}
