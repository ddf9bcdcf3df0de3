import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import {
  createOutboxRelay,
  createPostgresDatabase,
  type Database,
  enqueueEvent,
  idempotentHandler,
  newId,
  type OwnerQuery,
} from '@lumay/shared';
import { createPostgresOwner, createRabbitMqBus, type RabbitMqBus } from '@lumay/shared/node';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInspector, sleep, uniqueExchange, waitFor } from '../integration/bus/broker.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_AMQP_URL } from '../support/services.ts';

const broker = new URL(TEST_AMQP_URL);
const brokerPort = Number(broker.port || 5672);

function run(command: string, args: string[], timeoutMs = 90_000): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}${error ? ` (${error.message})` : ''}` });
    });
  });
}

/** True when something accepts TCP connections on the broker's AMQP port. */
function portOpen(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: broker.hostname, port: brokerPort });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(open: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await portOpen()) === open) return true;
    await sleep(200);
  }
  return false;
}

async function stopBroker(): Promise<void> {
  const stopped = await run('rabbitmqctl', ['stop_app']);
  if (!stopped.ok) {
    const full = await run('rabbitmqctl', ['stop']);
    if (!full.ok) throw new Error(`could not stop RabbitMQ: ${stopped.output} / ${full.output}`);
  }
  if (!(await waitForPort(false, 30_000))) throw new Error('RabbitMQ still accepts connections after stop');
}

/** Starts the broker application, or the whole node if the application cannot be started. */
async function startBroker(): Promise<void> {
  const started = await run('rabbitmqctl', ['start_app']);
  if (!started.ok) {
    await run('rabbitmq-server', ['-detached'], 30_000);
    await run('rabbitmqctl', ['await_startup'], 120_000);
  }
  if (!(await waitForPort(true, 60_000))) throw new Error(`RabbitMQ did not come back: ${started.output}`);
}

async function ensureBrokerRunning(): Promise<void> {
  if (!(await portOpen())) await startBroker();
}

describe('RabbitMQ restart under a steady stream of outbox events', () => {
  let database: TestDatabase;
  let db: Database;
  let owner: OwnerQuery;
  let closeOwner: () => Promise<void>;
  let bus: RabbitMqBus;
  const exchange = uniqueExchange('restart');

  beforeAll(async () => {
    await ensureBrokerRunning();
    database = await createTestDatabase();
    db = createPostgresDatabase({ url: database.url, max: 6 });
    ({ owner, close: closeOwner } = createPostgresOwner(database.url));
    await owner(
      'create table bus_effects (tenant_id text not null, event_id text not null, created_at timestamptz not null default now())',
    );
    await owner('grant select, insert on bus_effects to lumay_app');
  });

  afterAll(async () => {
    // Whatever happened above, leave the shared broker running for everyone else.
    await ensureBrokerRunning();
    await bus?.close();
    if (bus) {
      const inspector = await createInspector();
      await inspector.removeTopology(bus, ['effects']);
      await inspector.close();
    }
    await closeOwner?.();
    await db?.close();
    await database?.drop();
  });

  it('delivers every event exactly once in effect, reconnecting by itself', async () => {
    const tenants = [newId('tenant'), newId('tenant')];
    for (const id of tenants) await owner('insert into tenants (id, name) values ($1, $1)', [id]);
    const log: { at: number; message: string }[] = [];
    bus = createRabbitMqBus({
      url: TEST_AMQP_URL,
      exchange,
      operationTimeoutMs: 2000,
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 1000,
      retryDelayMs: 100,
      maxDeliveries: 10,
      logger: { warn: (message) => log.push({ at: Date.now(), message }) },
    });
    let delivered = 0;
    let duplicates = 0;
    let lastDeliveryAt = 0;
    const effect = idempotentHandler(
      db,
      'effects',
      async (event, tx) => {
        await tx.execute(
          sql`insert into bus_effects (tenant_id, event_id) values (${event.tenantId}, ${event.id})`,
        );
      },
      { onDuplicate: () => (duplicates += 1) },
    );
    await bus.subscribe('effects', ['conversation.ended'], async (event) => {
      delivered += 1;
      lastDeliveryAt = Date.now();
      await effect(event);
    });
    const relayErrors: unknown[] = [];
    const relay = createOutboxRelay({
      db,
      bus,
      batchSize: 50,
      intervalMs: 50,
      onError: (error) => relayErrors.push(error),
    });
    relay.start();

    // The producer: one real transaction per event, every 20 ms, alternating tenants.
    const produced: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let index = 0; producing; index++) {
        const tenantId = tenants[index % 2] ?? '';
        const event = await db.withTenant({ tenantId, userId: null }, (tx) =>
          enqueueEvent(tx, tenantId, 'conversation.ended', {
            conversationId: `conv-${index}`,
            agentId: 'agt_fault',
            channel: 'voice',
            durationMs: index,
            outcome: 'resolved',
          }),
        );
        produced.push(event.id);
        await sleep(20);
      }
    })();

    let recoveredAt = 0;
    let restartedAt = 0;
    let stoppedAt = 0;
    let producedDuringOutage = 0;
    try {
      await sleep(2000);
      const beforeStop = produced.length;
      await stopBroker();
      stoppedAt = Date.now();
      await waitFor('the adapter to notice the outage', () => !bus.stats().connected, 15_000);
      await sleep(4000);
      await startBroker();
      restartedAt = Date.now();
      producedDuringOutage = produced.length - beforeStop;
      await waitFor('the adapter to reconnect', () => bus.stats().connected, 30_000);
      recoveredAt = Date.now();
      await waitFor('deliveries to resume', () => lastDeliveryAt > recoveredAt, 30_000);
      await sleep(2000);
    } finally {
      producing = false;
      await producer;
      await relay.stop();
      await ensureBrokerRunning();
    }

    // Publish whatever is still pending (rows whose publish timed out during the outage included).
    await waitFor(
      'the outbox to drain',
      async () => {
        await relay.drain();
        const [row] = await owner<{ n: string }>('select count(*) as n from outbox where sent_at is null');
        return Number(row?.n) === 0;
      },
      60_000,
    );
    const effectCount = async () =>
      Number((await owner<{ n: string }>('select count(*) as n from bus_effects'))[0]?.n);
    await waitFor('every effect', async () => (await effectCount()) >= produced.length, 60_000);
    await sleep(1000);

    const [summary] = await owner<{ rows: string; distinct_events: string; processed: string }>(`
      select (select count(*) from bus_effects) as rows,
             (select count(distinct event_id) from bus_effects) as distinct_events,
             (select count(*) from processed_events where consumer = 'effects') as processed`);
    const producedIds = new Set(produced);
    const effectIds = await owner<{ event_id: string }>('select event_id from bus_effects');
    const stats = bus.stats();
    const [outbox] = await owner<{ failed_attempts: string }>(
      'select coalesce(sum(attempts - 1), 0) as failed_attempts from outbox',
    );
    console.log(
      [
        'RabbitMQ restart fault test:',
        `  events produced            ${produced.length} (${producedDuringOutage} between stop and restart)`,
        `  handler deliveries         ${delivered}`,
        `  duplicates suppressed      ${duplicates}`,
        `  effect rows                ${summary?.rows} (${summary?.distinct_events} distinct)`,
        `  broker down for            ${restartedAt - stoppedAt} ms`,
        `  recovery (start → reconnected) ${recoveredAt - restartedAt} ms`,
        `  adapter connections        ${stats.connects} (published ${stats.published}, retried ${stats.retried}, dead-lettered ${stats.deadLettered})`,
        `  relay publish failures     ${outbox?.failed_attempts} recorded, ${relayErrors.length} loop errors`,
        `  adapter warnings           ${log.length}`,
      ].join('\n'),
    );

    expect(producedDuringOutage).toBeGreaterThan(0);
    expect(Number(summary?.rows)).toBe(produced.length);
    expect(Number(summary?.distinct_events)).toBe(produced.length);
    expect(Number(summary?.processed)).toBe(produced.length);
    expect(effectIds.every((row) => producedIds.has(row.event_id))).toBe(true);
    expect(delivered).toBe(produced.length + duplicates);
    expect(stats.connects).toBeGreaterThanOrEqual(2);
    expect(stats.deadLettered).toBe(0);
    expect(log.some((entry) => entry.message.includes('reconnected'))).toBe(true);
  });
});
