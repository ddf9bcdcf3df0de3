import {
  createInProcessBus,
  createOutboxRelay,
  createPostgresDatabase,
  type Database,
  enqueueEvent,
  idempotentHandler,
  newId,
  type OwnerQuery,
  rowsOf,
} from '@lumay/shared';
import {
  createPgliteDatabase,
  createPostgresOwner,
  createRabbitMqBus,
  type RabbitMqBus,
} from '@lumay/shared/node';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { TEST_AMQP_URL } from '../../support/services.ts';
import { type BrokerInspector, createInspector, sleep, uniqueExchange, waitFor } from './broker.ts';

const endedPayload = (conversationId: string) => ({
  conversationId,
  agentId: 'agt_relay',
  channel: 'voice',
  durationMs: 10,
  outcome: 'resolved' as const,
});

/** Writes `count` events through real tenant transactions, as services do. */
async function produce(db: Database, tenantId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const event = await db.withTenant({ tenantId, userId: null }, (tx) =>
      enqueueEvent(tx, tenantId, 'conversation.ended', endedPayload(`conv-${index}`)),
    );
    ids.push(event.id);
  }
  return ids;
}

describe('outbox relay on Postgres with RabbitMQ', () => {
  let database: TestDatabase;
  let db: Database;
  let secondDb: Database;
  let owner: OwnerQuery;
  let closeOwner: () => Promise<void>;
  let bus: RabbitMqBus;
  let inspector: BrokerInspector;
  const tenants = [newId('tenant'), newId('tenant')];
  const deliveries = new Map<string, number>();

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPostgresDatabase({ url: database.url, max: 4 });
    secondDb = createPostgresDatabase({ url: database.url, max: 4 });
    ({ owner, close: closeOwner } = createPostgresOwner(database.url));
    for (const id of tenants) await owner('insert into tenants (id, name) values ($1, $1)', [id]);
    inspector = await createInspector();
    bus = createRabbitMqBus({ url: TEST_AMQP_URL, exchange: uniqueExchange('relay'), logger: { warn() {} } });
    // A plain (non-idempotent) consumer: it counts exactly what the broker delivered.
    await bus.subscribe('counter', ['*'], async (event) => {
      deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1);
    });
  });

  afterAll(async () => {
    await bus?.close();
    if (bus) await inspector.removeTopology(bus, ['counter']);
    await inspector?.close();
    await db?.close();
    await secondDb?.close();
    await closeOwner?.();
    await database?.drop();
  });

  const unsent = async () =>
    Number((await owner<{ n: string }>('select count(*) as n from outbox where sent_at is null'))[0]?.n);

  it('publishes committed events once and marks them sent; rolled-back ones never', async () => {
    const [tenantId = ''] = tenants;
    const committed = await produce(db, tenantId, 3);
    let rolledBack = '';
    await expect(
      db.withTenant({ tenantId, userId: null }, async (tx) => {
        rolledBack = (await enqueueEvent(tx, tenantId, 'conversation.ended', endedPayload('gone'))).id;
        throw new Error('business rule failed after the event was written');
      }),
    ).rejects.toThrow(/business rule/);

    const relay = createOutboxRelay({ db, bus, batchSize: 10 });
    expect(await relay.drain()).toEqual({ published: 3, failed: 0 });
    await waitFor('three deliveries', () => committed.every((id) => deliveries.get(id) === 1));
    expect(await relay.drain()).toEqual({ published: 0, failed: 0 });
    await sleep(200);
    expect(committed.map((id) => deliveries.get(id))).toEqual([1, 1, 1]);
    expect(deliveries.has(rolledBack)).toBe(false);
    const rows = await owner<{ id: string; sent: boolean; attempts: number }>(
      'select id, sent_at is not null as sent, attempts from outbox where id = any($1) order by id',
      [committed],
    );
    expect(rows).toEqual([...committed].sort().map((id) => ({ id, sent: true, attempts: 1 })));
    expect(await owner('select 1 from outbox where id = $1', [rolledBack])).toHaveLength(0);
  });

  it('records a row that cannot be published and does not let it block the others', async () => {
    const [tenantId = ''] = tenants;
    const poison = newId('event');
    await owner(`insert into outbox (id, tenant_id, topic, payload) values ($1, $2, 'no.such.topic', '{}')`, [
      poison,
      tenantId,
    ]);
    const [fresh = ''] = await produce(db, tenantId, 1);
    const relay = createOutboxRelay({ db, bus, batchSize: 1 });
    // Batch of one: the poison row comes first (oldest), fails, and drain stops there.
    expect(await relay.drain()).toEqual({ published: 0, failed: 1 });
    // Having failed once, it now sorts after the fresh row.
    expect(await relay.drain()).toEqual({ published: 1, failed: 1 });
    await waitFor('the fresh event', () => deliveries.get(fresh) === 1);
    const [row] = await owner<{ attempts: number; last_error: string; sent_at: Date | null }>(
      'select attempts, last_error, sent_at from outbox where id = $1',
      [poison],
    );
    expect(row).toMatchObject({ attempts: 2, sent_at: null });
    expect(row?.last_error).toMatch(/unknown event topic/);
    await owner('delete from outbox where id = $1', [poison]);
  });

  it('two relays running concurrently publish every row exactly once', async () => {
    const ids = [
      ...(await produce(db, tenants[0] ?? '', 150)),
      ...(await produce(secondDb, tenants[1] ?? '', 150)),
    ];
    const first = createOutboxRelay({ db, bus, batchSize: 10 });
    const second = createOutboxRelay({ db: secondDb, bus, batchSize: 10 });
    const [a, b] = await Promise.all([first.drain(), second.drain()]);
    console.log(`concurrent relays: first published ${a.published}, second ${b.published}`);
    expect(a.failed + b.failed).toBe(0);
    expect(a.published + b.published).toBe(ids.length);
    expect(a.published).toBeGreaterThan(0);
    expect(b.published).toBeGreaterThan(0);
    expect(await unsent()).toBe(0);
    await waitFor('every delivery', () => ids.every((id) => deliveries.has(id)));
    await sleep(300);
    expect(ids.filter((id) => deliveries.get(id) !== 1)).toEqual([]);
  });

  it('publishes in the background between start() and stop()', async () => {
    const first = createOutboxRelay({ db, bus, intervalMs: 20 });
    const second = createOutboxRelay({ db: secondDb, bus, intervalMs: 20 });
    first.start();
    second.start();
    const ids = await produce(db, tenants[0] ?? '', 40);
    await waitFor('background publication', () => ids.every((id) => deliveries.get(id) === 1));
    await Promise.all([first.stop(), second.stop()]);
    await sleep(200);
    expect(ids.filter((id) => deliveries.get(id) !== 1)).toEqual([]);
    expect(await unsent()).toBe(0);
  });

  it('exposes the relay functions to the application role only, owned by a role without BYPASSRLS', async () => {
    const functions = await owner<{ name: string; owner: string; definer: boolean; config: string[] }>(`
      select p.proname as name, pg_get_userbyid(p.proowner) as owner, p.prosecdef as definer, p.proconfig as config
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'lumay_private' and p.proname like 'outbox%' order by 1`);
    expect(functions.map((fn) => fn.name)).toEqual([
      'outbox_claim',
      'outbox_mark_sent',
      'outbox_record_failure',
    ]);
    for (const fn of functions) {
      expect(fn).toMatchObject({ owner: 'lumay_relay', definer: true });
      expect(fn.config).toEqual(['search_path=pg_catalog, public, pg_temp']);
    }
    const [role] = await owner<{ rolbypassrls: boolean; rolcanlogin: boolean; rolsuper: boolean }>(
      `select rolbypassrls, rolcanlogin, rolsuper from pg_roles where rolname = 'lumay_relay'`,
    );
    expect(role).toEqual({ rolbypassrls: false, rolcanlogin: false, rolsuper: false });
    const [grants] = await owner<{ app: boolean; auth: boolean }>(`
      select has_function_privilege('lumay_app', 'lumay_private.outbox_claim(integer)', 'execute') as app,
             has_function_privilege('lumay_auth', 'lumay_private.outbox_claim(integer)', 'execute') as auth`);
    expect(grants).toEqual({ app: true, auth: false });
    // The application role itself still sees no outbox row without a tenant.
    await produce(db, tenants[0] ?? '', 1);
    const visible = await db.withoutTenant(null, async (tx) =>
      rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from outbox`)),
    );
    expect(visible).toEqual([{ n: 0 }]);
    await createOutboxRelay({ db, bus }).drain();
  });
});

describe('outbox relay on PGlite with the in-process bus', () => {
  it('relays committed events to an idempotent consumer', async () => {
    const { db, owner } = await createPgliteDatabase(undefined);
    const bus = createInProcessBus();
    try {
      const tenantId = newId('tenant');
      await owner('insert into tenants (id, name) values ($1, $1)', [tenantId]);
      await owner('create table bus_effects (tenant_id text not null, event_id text not null)');
      await owner('grant select, insert on bus_effects to lumay_app');
      let duplicates = 0;
      await bus.subscribe(
        'projector',
        ['conversation.ended'],
        idempotentHandler(
          db,
          'projector',
          async (event, tx) => {
            await tx.execute(sql`insert into bus_effects values (${event.tenantId}, ${event.id})`);
          },
          { onDuplicate: () => (duplicates += 1) },
        ),
      );
      const ids = await produce(db, tenantId, 5);
      await expect(
        db.withTenant({ tenantId, userId: null }, async (tx) => {
          await enqueueEvent(tx, tenantId, 'conversation.ended', endedPayload('gone'));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');

      const relay = createOutboxRelay({ db, bus, batchSize: 2 });
      expect(await relay.drain()).toEqual({ published: 5, failed: 0 });
      await bus.idle();
      // Redeliver everything once more, as a relay that crashed before committing would.
      for (const id of ids) {
        await owner('update outbox set sent_at = null where id = $1', [id]);
      }
      expect(await relay.drain()).toEqual({ published: 5, failed: 0 });
      await bus.idle();
      const effects = await owner<{ event_id: string }>('select event_id from bus_effects order by event_id');
      expect(effects.map((row) => row.event_id)).toEqual([...ids].sort());
      expect(duplicates).toBe(5);
      expect(bus.deadLetters).toHaveLength(0);
      expect(await owner('select 1 from outbox where sent_at is null')).toHaveLength(0);
    } finally {
      await bus.close();
      await db.close();
    }
  });
});
