import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  createPostgresDatabase,
  type Database,
  type EventEnvelope,
  idempotentHandler,
  newId,
  rowsOf,
} from '@lumay/shared';
import {
  createPostgresOwner,
  createRabbitMqBus,
  type RabbitMqBus,
  type RabbitMqBusOptions,
} from '@lumay/shared/node';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { TEST_AMQP_URL } from '../../support/services.ts';
import {
  type BrokerInspector,
  configChanged,
  conversationEnded,
  createInspector,
  sleep,
  uniqueExchange,
  waitFor,
} from './broker.ts';

const run = promisify(execFile);

/** Has the broker close every connection named `name` (only ours: the shared broker stays up). */
async function closeConnectionsNamed(name: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties']);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(name))
    .map((line) => line.split('\t')[0] ?? '');
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'test: forced close']);
  return pids.length;
}

describe('RabbitMQ event bus', () => {
  let inspector: BrokerInspector;
  let database: TestDatabase;
  let db: Database;
  let closeOwner: () => Promise<void>;
  const tenantId = newId('tenant');
  const opened: { bus: RabbitMqBus; consumers: string[] }[] = [];
  const warnings: string[] = [];

  /** A bus on its own exchange, closed and removed from the broker after the test. */
  function openBus(label: string, options: Partial<RabbitMqBusOptions> = {}) {
    const bus = createRabbitMqBus({
      url: TEST_AMQP_URL,
      exchange: uniqueExchange(label),
      retryDelayMs: 20,
      logger: { warn: (message) => warnings.push(message) },
      ...options,
    });
    const entry = { bus, consumers: [] as string[] };
    opened.push(entry);
    return {
      bus,
      subscribe: async (...args: Parameters<RabbitMqBus['subscribe']>) => {
        entry.consumers.push(args[0]);
        await bus.subscribe(...args);
      },
    };
  }

  beforeAll(async () => {
    inspector = await createInspector();
    database = await createTestDatabase();
    db = createPostgresDatabase({ url: database.url, max: 4 });
    const owner = createPostgresOwner(database.url);
    closeOwner = owner.close;
    await owner.owner('insert into tenants (id, name) values ($1, $2)', [tenantId, 'bus tests']);
    await owner.owner(
      'create table bus_effects (tenant_id text not null, consumer text not null, event_id text not null)',
    );
    await owner.owner('grant select, insert on bus_effects to lumay_app');
  });

  afterEach(async () => {
    for (const { bus, consumers } of opened.splice(0)) {
      await bus.close();
      await inspector.removeTopology(bus, consumers);
    }
  });

  afterAll(async () => {
    await inspector?.close();
    await db?.close();
    await closeOwner?.();
    await database?.drop();
  });

  it('delivers a published event once, with its typed payload', async () => {
    const { bus, subscribe } = openBus('once');
    const received: EventEnvelope[] = [];
    await subscribe('analytics', ['conversation.ended'], async (event) => {
      received.push(event);
    });
    const event = conversationEnded(tenantId);
    await bus.publish(event);
    await waitFor('the delivery', () => received.length === 1);
    await sleep(200);
    expect(received).toEqual([event]);
    const [delivered] = received;
    if (delivered?.topic !== 'conversation.ended') throw new Error('wrong topic');
    const payload = delivered.payload as EventEnvelope<'conversation.ended'>['payload'];
    expect(payload.outcome).toBe('resolved');
    expect(await inspector.depth(bus.topology.queue('analytics'))).toBe(0);
    expect(bus.stats()).toMatchObject({ connected: true, connects: 1, published: 1, unroutable: 0 });
  });

  it('gives every consumer every event, and filters by topic', async () => {
    const { bus, subscribe } = openBus('fanout');
    const seen: Record<string, string[]> = { audit: [], billing: [], config: [] };
    await subscribe('audit', ['*'], async (event) => void seen.audit?.push(event.id));
    await subscribe('billing', ['conversation.ended'], async (event) => void seen.billing?.push(event.id));
    await subscribe('config', ['config.changed'], async (event) => void seen.config?.push(event.id));
    const ended = [conversationEnded(tenantId), conversationEnded(tenantId)];
    const changed = [configChanged(tenantId)];
    for (const event of [...ended, ...changed]) await bus.publish(event);
    await waitFor('all deliveries', () => seen.audit?.length === 3 && seen.config?.length === 1);
    await waitFor('billing deliveries', () => seen.billing?.length === 2);
    await sleep(200);
    expect(seen.audit?.sort()).toEqual([...ended, ...changed].map((event) => event.id).sort());
    expect(seen.billing?.sort()).toEqual(ended.map((event) => event.id).sort());
    expect(seen.config).toEqual(changed.map((event) => event.id));
  });

  it('retries a failing handler with a delay and keeps its database effect single', async () => {
    const { bus, subscribe } = openBus('retry', { maxDeliveries: 5, retryDelayMs: 50 });
    const deliveries: number[] = [];
    const handler = idempotentHandler(db, 'projector', async (event, tx) => {
      await tx.execute(
        sql`insert into bus_effects (tenant_id, consumer, event_id) values (${event.tenantId}, 'projector', ${event.id})`,
      );
      // The effect above is written, then the handler fails: the transaction must take it back.
      if (deliveries.length <= 2) throw new Error(`transient failure ${deliveries.length}`);
    });
    await subscribe('projector', ['conversation.ended'], async (event) => {
      deliveries.push(Date.now());
      await handler(event);
    });
    const event = conversationEnded(tenantId);
    await bus.publish(event);
    await waitFor('the third delivery', () => deliveries.length === 3);
    await sleep(400);
    expect(deliveries).toHaveLength(3);
    // Exponential delay: ≥50 ms before the second delivery, ≥100 ms before the third.
    expect((deliveries[1] ?? 0) - (deliveries[0] ?? 0)).toBeGreaterThanOrEqual(45);
    expect((deliveries[2] ?? 0) - (deliveries[1] ?? 0)).toBeGreaterThanOrEqual(95);
    const effects = await db.withTenant({ tenantId, userId: null }, async (tx) =>
      rowsOf<{ event_id: string }>(
        await tx.execute(sql`select event_id from bus_effects where consumer = 'projector'`),
      ),
    );
    expect(effects).toEqual([{ event_id: event.id }]);
    expect(await inspector.depth(bus.topology.queue('projector'))).toBe(0);
    expect(await inspector.depth(bus.topology.retryQueue('projector'))).toBe(0);
    expect(await inspector.depth(bus.topology.deadLetterQueue('projector'))).toBe(0);
    expect(bus.stats()).toMatchObject({ retried: 2, deadLettered: 0 });
  });

  it('a redelivered event whose effect committed is recognised and skipped', async () => {
    const { bus, subscribe } = openBus('dedupe');
    let effects = 0;
    const duplicates: string[] = [];
    await subscribe(
      'ledger',
      ['conversation.ended'],
      idempotentHandler(
        db,
        'ledger',
        async () => {
          effects += 1;
        },
        { onDuplicate: (event) => duplicates.push(event.id) },
      ),
    );
    // The same event id twice, as the relay does after a crash between confirm and commit.
    const event = conversationEnded(tenantId);
    await bus.publish(event);
    await bus.publish(event);
    await waitFor('the duplicate to be recognised', () => duplicates.length === 1);
    expect(effects).toBe(1);
    expect(duplicates).toEqual([event.id]);
  });

  it('sends an always-failing event to the dead-letter queue after maxDeliveries', async () => {
    const { bus, subscribe } = openBus('poison', { maxDeliveries: 3, retryDelayMs: 20 });
    let deliveries = 0;
    await subscribe('fragile', ['conversation.ended'], async () => {
      deliveries += 1;
      throw new Error('downstream says no');
    });
    const event = conversationEnded(tenantId);
    await bus.publish(event);
    const deadLetterQueue = bus.topology.deadLetterQueue('fragile');
    await waitFor('the dead letter', async () => (await inspector.depth(deadLetterQueue)) === 1);
    await sleep(300);
    expect(deliveries).toBe(3);
    const message = await inspector.channel.get(deadLetterQueue, { noAck: true });
    if (message === false) throw new Error('dead-letter queue is empty');
    expect(JSON.parse(message.content.toString())).toEqual(event);
    expect(message.properties.messageId).toBe(event.id);
    expect(message.properties.headers?.['x-lumay-attempts']).toBe(3);
    expect(String(message.properties.headers?.['x-lumay-error'])).toContain('downstream says no');
    expect(await inspector.depth(bus.topology.queue('fragile'))).toBe(0);
    expect(await inspector.depth(bus.topology.retryQueue('fragile'))).toBe(0);
    expect(bus.stats()).toMatchObject({ retried: 2, deadLettered: 1 });
  });

  it('dead-letters malformed messages at once and keeps consuming', async () => {
    const { bus, subscribe } = openBus('malformed');
    const received: string[] = [];
    await subscribe('sturdy', ['*'], async (event) => void received.push(event.id));
    const { exchange } = bus.topology;
    const bad = [
      Buffer.from('{not json'),
      Buffer.from(JSON.stringify({ ...conversationEnded(tenantId), payload: { conversationId: 1 } })),
      Buffer.from(JSON.stringify({ ...conversationEnded(tenantId), topic: 'no.such.topic' })),
    ];
    for (const content of bad) inspector.channel.publish(exchange, 'conversation.ended', content);
    const good = conversationEnded(tenantId);
    await bus.publish(good);
    const deadLetterQueue = bus.topology.deadLetterQueue('sturdy');
    await waitFor('three dead letters', async () => (await inspector.depth(deadLetterQueue)) === 3);
    await waitFor('the valid event', () => received.length === 1);
    await sleep(200);
    expect(received).toEqual([good.id]);
    const first = await inspector.channel.get(deadLetterQueue, { noAck: true });
    if (first === false) throw new Error('dead-letter queue is empty');
    expect(String(first.properties.headers?.['x-lumay-error'])).toMatch(/^malformed: /);
    expect(await inspector.depth(bus.topology.queue('sturdy'))).toBe(0);
    expect(bus.stats().connects).toBe(1);
  });

  it('confirms an event no queue is bound for, and reports it as unroutable', async () => {
    const { bus, subscribe } = openBus('unroutable');
    await subscribe('config-only', ['config.changed'], async () => {});
    await bus.publish(conversationEnded(tenantId));
    await waitFor('the basic.return', () => bus.stats().unroutable === 1);
    expect(warnings.some((warning) => warning.includes('no queue bound'))).toBe(true);
  });

  it('refuses to publish an event whose payload does not match its topic', async () => {
    const { bus } = openBus('invalid');
    const event = { ...conversationEnded(tenantId), payload: { conversationId: 'c' } } as EventEnvelope;
    await expect(bus.publish(event)).rejects.toThrow();
    expect(bus.stats().published).toBe(0);
  });

  it('close() lets running handlers finish and acknowledge', async () => {
    const { bus, subscribe } = openBus('graceful');
    let started = 0;
    let finished = 0;
    await subscribe('slow', ['conversation.ended'], async () => {
      started += 1;
      await sleep(300);
      finished += 1;
    });
    await bus.publish(conversationEnded(tenantId));
    await bus.publish(conversationEnded(tenantId));
    await waitFor('both handlers to start', () => started === 2);
    await bus.close();
    expect(finished).toBe(2);
    // Acknowledged, not returned to the queue: nothing waits there for the next consumer.
    expect(await inspector.depth(bus.topology.queue('slow'))).toBe(0);
    await expect(bus.publish(conversationEnded(tenantId))).rejects.toThrow(/closed/);
  });

  it('recovers from a connection the broker closed, without acking in-flight deliveries on the new one', async () => {
    const connectionName = `lumay-test-${newId('event')}`;
    const { bus, subscribe } = openBus('recover', { connectionName, reconnectDelayMs: 50 });
    const deliveries: string[] = [];
    let effects = 0;
    let duplicates = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const effect = idempotentHandler(
      db,
      'recovering',
      async () => {
        effects += 1;
      },
      { onDuplicate: () => (duplicates += 1) },
    );
    await subscribe('recovering', ['conversation.ended'], async (event) => {
      deliveries.push(event.id);
      // The first delivery is still being handled when its connection goes away.
      if (deliveries.length === 1) await held;
      await effect(event);
    });
    const first = conversationEnded(tenantId);
    await bus.publish(first);
    await waitFor('the first delivery', () => deliveries.length === 1);
    const warningsBefore = warnings.length;
    expect(await closeConnectionsNamed(connectionName)).toBe(1);
    await waitFor('the reconnection', () => bus.stats().connects === 2);
    // The broker hands the unacknowledged delivery out again on the new session.
    await waitFor('the redelivery', () => deliveries.length === 2, 20_000);
    release();
    await bus.publish(conversationEnded(tenantId));
    await waitFor('the next event', () => deliveries.length === 3);
    await waitFor('both effects and the duplicate', () => effects === 2 && duplicates === 1);
    await sleep(300);
    expect(deliveries.slice(0, 2)).toEqual([first.id, first.id]);
    expect(await inspector.depth(bus.topology.queue('recovering'))).toBe(0);
    const recoveryWarnings = warnings.slice(warningsBefore);
    expect(recoveryWarnings.some((warning) => warning.includes('reconnected'))).toBe(true);
    // An ack on the wrong channel would have closed it with 406 PRECONDITION_FAILED.
    expect(recoveryWarnings.some((warning) => warning.includes('channel error'))).toBe(false);
    expect(bus.stats().connects).toBe(2);
  });

  it('confirms a concurrent burst that overflows the channel write buffer (waits for drain)', async () => {
    const { bus, subscribe } = openBus('burst');
    const received = new Set<string>();
    await subscribe('bulk', ['conversation.ended'], async (event) => void received.add(event.id));
    const filler = 'x'.repeat(16 * 1024);
    const events = Array.from({ length: 2000 }, () => conversationEnded(tenantId, filler));
    await Promise.all(events.map((event) => bus.publish(event)));
    expect(bus.stats().published).toBe(events.length);
    await waitFor('every delivery', () => received.size === events.length, 30_000);
    expect(await inspector.depth(bus.topology.queue('bulk'))).toBe(0);
  });
});
