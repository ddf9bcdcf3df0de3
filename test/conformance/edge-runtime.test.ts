import { newId, type OwnerQuery } from '@lumay/shared';
import { createPostgresOwner } from '@lumay/shared/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Client, client, createTenant, login } from '../support/client.ts';
import { createEdgeTarget, type EdgeTarget } from '../support/edge-target.ts';

/**
 * What only the edge build does, in workerd through `wrangler dev`: Postgres through a Hyperdrive
 * binding (prepare: false), a connection pool per request (workerd forbids sharing sockets), the outbox
 * relayed to a Queues producer (after writes and on the cron trigger), and a 503 that names the
 * missing settings, since a Worker cannot refuse to start.
 */

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await probe();
  }
  return value;
}

describe('edge runtime: Hyperdrive binding, per-request connections, Queues relay', () => {
  let target: EdgeTarget;
  let api: Client;
  let owner: { owner: OwnerQuery; close(): Promise<void> };
  let tenant: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    target = await createEdgeTarget({ hyperdrive: true, queue: true });
    owner = createPostgresOwner(target.database.url);
    api = client(target);
    tenant = await createTenant(api, await login(api, target.admin.email, target.admin.password), 'edge');
  });
  afterAll(async () => {
    await owner?.close();
    await target?.close();
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`--- ${target?.name} output ---\n${target?.logs().slice(-8000)}`));
  });

  const unsent = async (tenantId: string) =>
    Number(
      (
        await owner.owner<{ count: string }>(
          'select count(*) as count from outbox where tenant_id = $1 and sent_at is null',
          [tenantId],
        )
      )[0]?.count,
    );

  it('serves tenant data through the Hyperdrive binding', async () => {
    const ready = await api.get('/readyz');
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
    const created = await api.post('/v1/agents', { name: 'Via Hyperdrive' }, { token: tenant.token });
    expect(created.status, created.text).toBe(201);
    const fetched = await api.get(`/v1/agents/${created.body.id}`, { token: tenant.token });
    expect(fetched.status).toBe(200);
    expect(fetched.body.name).toBe('Via Hyperdrive');
  });

  it('relays the outbox to the EVENTS queue after a successful write', async () => {
    const created = await api.post('/v1/agents', { name: 'Relayed' }, { token: tenant.token });
    expect(created.status).toBe(201);
    const rows = await eventually(
      () =>
        owner.owner<{ sent_at: Date | null; last_error: string | null }>(
          `select sent_at, last_error from outbox where tenant_id = $1 and payload->>'resourceId' = $2`,
          [tenant.tenantId, created.body.id],
        ),
      (found) => found.length > 0 && found.every((row) => row.sent_at !== null),
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.sent_at !== null && row.last_error === null)).toBe(true);
  });

  it('relays rows no request relayed when the cron trigger fires', async () => {
    const id = newId('event');
    await owner.owner(
      `insert into outbox (id, tenant_id, topic, payload, created_at)
       values ($1, $2, 'config.changed', jsonb_build_object('resourceType', 'tenant', 'resourceId', $2::text), now())`,
      [id, tenant.tenantId],
    );
    expect(await unsent(tenant.tenantId)).toBe(1);
    const fired = await target.fetch('/__scheduled?cron=*+*+*+*+*');
    expect(fired.status).toBe(200);
    await fired.text();
    const left = await eventually(
      () => unsent(tenant.tenantId),
      (count) => count === 0,
    );
    const [row] = await owner.owner<{ last_error: string | null }>(
      'select last_error from outbox where id = $1',
      [id],
    );
    expect(left, String(row?.last_error)).toBe(0);
  });

  it('serves concurrent and back-to-back requests, each on its own connections', async () => {
    // workerd refuses I/O on a socket opened by another request: a pool shared across requests
    // fails here with 500s and flapping readiness.
    const concurrent = await Promise.all(
      Array.from({ length: 12 }, () => api.get('/v1/agents', { token: tenant.token })),
    );
    expect(concurrent.map((response) => response.status)).toEqual(concurrent.map(() => 200));
    for (let index = 0; index < 6; index++) {
      expect((await api.get('/readyz')).status).toBe(200);
      expect((await api.get('/v1/agents', { token: tenant.token })).status).toBe(200);
    }
  });
});

describe('edge runtime: configuration errors', () => {
  let target: EdgeTarget;
  let api: Client;

  beforeAll(async () => {
    target = await createEdgeTarget({
      vars: { DATABASE_URL: undefined, JWT_PRIVATE_KEY: undefined, JWT_PUBLIC_KEY: 'not-a-pem' },
      readyStatus: 503,
    });
    api = client(target);
  });
  afterAll(async () => {
    await target?.close();
  });

  it('answers 503 naming every missing or malformed variable', async () => {
    for (const response of [
      await api.get('/readyz'),
      await api.post('/v1/auth/login', { email: 'a@b.example', password: 'whatever-it-is' }),
    ]) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(response.body.error).toMatchObject({ code: 'service_unavailable' });
      expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
      expect(response.body.error.details.variables.sort()).toEqual(
        ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY'].sort(),
      );
      expect(response.body.error.message).toContain('DATABASE_URL');
      expect(response.body.error.message).toContain('HYPERDRIVE');
    }
  });
});
