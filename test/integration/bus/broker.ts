import { type EventEnvelope, newId } from '@lumay/shared';
import type { RabbitMqBus } from '@lumay/shared/node';
import { type Channel, type ChannelModel, connect } from 'amqplib';
import { TEST_AMQP_URL } from '../../support/services.ts';

/** An exchange name no other test run uses, so parallel runs never share queues. */
export function uniqueExchange(label: string): string {
  return `lumay.test.${label}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
}

/** A plain amqplib connection for looking at queues behind the adapter's back and cleaning up. */
export interface BrokerInspector {
  channel: Channel;
  /** Messages waiting in `queue` (ready, not unacknowledged ones). */
  depth(queue: string): Promise<number>;
  /** Deletes every queue and exchange the bus declared for `consumers`. */
  removeTopology(bus: RabbitMqBus, consumers: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function createInspector(url = TEST_AMQP_URL): Promise<BrokerInspector> {
  const connection: ChannelModel = await connect(url);
  let channel = await connection.createChannel();
  connection.on('error', () => {});
  // checkQueue on a missing queue closes the channel; keep a usable one around.
  async function fresh(): Promise<Channel> {
    try {
      await channel.checkExchange('amq.topic');
      return channel;
    } catch {
      channel = await connection.createChannel();
      return channel;
    }
  }
  return {
    get channel() {
      return channel;
    },
    async depth(queue) {
      return (await (await fresh()).checkQueue(queue)).messageCount;
    },
    async removeTopology(bus, consumers) {
      const { topology } = bus;
      const target = await fresh();
      for (const consumer of consumers) {
        await target.deleteQueue(topology.queue(consumer));
        await target.deleteQueue(topology.retryQueue(consumer));
        await target.deleteQueue(topology.deadLetterQueue(consumer));
      }
      await target.deleteExchange(topology.exchange);
      await target.deleteExchange(topology.deadLetterExchange);
    },
    close: () => connection.close(),
  };
}

export function conversationEnded(tenantId: string, conversationId = newId('event')): EventEnvelope {
  return {
    id: newId('event'),
    tenantId,
    topic: 'conversation.ended',
    payload: { conversationId, agentId: 'agt_test', channel: 'chat', durationMs: 1200, outcome: 'resolved' },
    occurredAt: new Date().toISOString(),
  };
}

export function configChanged(tenantId: string, resourceId = 'agt_test'): EventEnvelope<'config.changed'> {
  return {
    id: newId('event'),
    tenantId,
    topic: 'config.changed',
    payload: { resourceType: 'agent', resourceId, version: 2 },
    occurredAt: new Date().toISOString(),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
