import { createVoiceCallStore, newId, voiceContext } from '@lumay/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PHONE_NUMBER, seed } from '../../../workers/src/seed.ts';
import { createServices } from '../../../workers/src/services.ts';
import {
  ADMIN_EMAIL,
  type AppTarget,
  createAppTarget,
  type DatabaseKind,
  DEMO_EMAIL,
} from '../../support/app-target.ts';
import { type Client, client, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { uniqueNumber, type VoiceTenant, voiceTenant } from './support.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('phone numbers on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let a: VoiceTenant;
  let b: VoiceTenant;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    a = await voiceTenant(api, adminToken, 'numbers-a');
    b = await voiceTenant(api, adminToken, 'numbers-b');
  });
  afterAll(() => target?.close());

  it('creates, reads, lists, updates and deletes a number, auditing each change', async () => {
    const number = uniqueNumber();
    const created = await api.post(
      '/v1/phone-numbers',
      {
        number: `${number.slice(0, 2)} (${number.slice(2, 5)}) ${number.slice(5)}`,
        agentId: a.agentId,
        label: 'Sales',
      },
      { token: a.token },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      number,
      agentId: a.agentId,
      mode: 'media_stream',
      status: 'active',
      label: 'Sales',
    });
    expect(created.body.id).toMatch(/^phn_/);
    expect(created.headers.get('location')).toBe(`/v1/phone-numbers/${created.body.id}`);

    const fetched = await api.get(`/v1/phone-numbers/${created.body.id}`, { token: a.token });
    expect(fetched.body).toEqual(created.body);

    const secondAgent = await api.post('/v1/agents', { name: 'Second' }, { token: a.token });
    const updated = await api.patch(
      `/v1/phone-numbers/${created.body.id}`,
      { agentId: secondAgent.body.id, mode: 'conversation_relay', status: 'disabled', label: null },
      { token: a.token },
    );
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({
      agentId: secondAgent.body.id,
      mode: 'conversation_relay',
      status: 'disabled',
      label: null,
    });

    const disabled = await api.get('/v1/phone-numbers?status=disabled', { token: a.token });
    expect(disabled.body.data.map((row: { id: string }) => row.id)).toEqual([created.body.id]);
    const byAgent = await api.get(`/v1/phone-numbers?agentId=${a.agentId}`, { token: a.token });
    expect(byAgent.body.data.map((row: { id: string }) => row.id)).toEqual([a.phoneNumberId]);

    expect((await api.delete(`/v1/phone-numbers/${created.body.id}`, { token: a.token })).status).toBe(204);
    expectError(await api.get(`/v1/phone-numbers/${created.body.id}`, { token: a.token }), 404, 'not_found');
    const audit = await api.get(`/v1/audit?resourceId=${created.body.id}`, { token: a.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual([
      'phone_number.delete',
      'phone_number.update',
      'phone_number.create',
    ]);
  });

  it('pages newest first with a cursor', async () => {
    const tenant = await voiceTenant(api, adminToken, 'numbers-pages');
    for (let index = 0; index < 3; index++) {
      await api.post(
        '/v1/phone-numbers',
        { number: uniqueNumber(), agentId: tenant.agentId },
        { token: tenant.token },
      );
    }
    const first = await api.get('/v1/phone-numbers?limit=3', { token: tenant.token });
    expect(first.body.data).toHaveLength(3);
    const second = await api.get(`/v1/phone-numbers?limit=3&cursor=${first.body.nextCursor}`, {
      token: tenant.token,
    });
    expect(second.body.data.map((row: { id: string }) => row.id)).toEqual([tenant.phoneNumberId]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses malformed numbers, unknown agents and empty patches', async () => {
    for (const number of ['5550100', '+0123', '+1 555 CALL NOW', '+12345678901234567', '']) {
      const response = await api.post(
        '/v1/phone-numbers',
        { number, agentId: a.agentId },
        { token: a.token },
      );
      expectError(response, 400, 'validation_failed');
    }
    expectError(
      await api.post(
        '/v1/phone-numbers',
        { number: uniqueNumber(), agentId: fakeId('agt') },
        { token: a.token },
      ),
      404,
      'not_found',
    );
    // Another tenant's agent is as unknown as a missing one.
    expectError(
      await api.post('/v1/phone-numbers', { number: uniqueNumber(), agentId: b.agentId }, { token: a.token }),
      404,
      'not_found',
    );
    expectError(
      await api.patch(`/v1/phone-numbers/${a.phoneNumberId}`, {}, { token: a.token }),
      400,
      'validation_failed',
    );
    expectError(
      await api.post(
        '/v1/phone-numbers',
        { number: uniqueNumber(), agentId: a.agentId, mode: 'sip' },
        { token: a.token },
      ),
      400,
      'validation_failed',
    );
  });

  it('answers a number registered anywhere with the same 409, without naming the owner', async () => {
    const own = await api.post(
      '/v1/phone-numbers',
      { number: a.number, agentId: a.agentId },
      { token: a.token },
    );
    const foreign = await api.post(
      '/v1/phone-numbers',
      { number: a.number, agentId: b.agentId },
      { token: b.token },
    );
    expectError(own, 409, 'conflict');
    expectError(foreign, 409, 'conflict');
    expect(foreign.body.error.message).toBe(own.body.error.message);
    expect(foreign.text).not.toContain(a.tenantId);
    expect(foreign.text).not.toContain(a.phoneNumberId);
  });

  it("keeps numbers to their tenant: another tenant's number is a 404 and never listed", async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { label: 'hijacked' }],
      ['DELETE', undefined],
    ] as const) {
      expectError(
        await api.call(method, `/v1/phone-numbers/${a.phoneNumberId}`, { token: b.token, body }),
        404,
        'not_found',
      );
    }
    const listed = await api.get('/v1/phone-numbers?limit=100', { token: b.token });
    expect(listed.body.data.map((row: { id: string }) => row.id)).toEqual([b.phoneNumberId]);
    expect((await api.get(`/v1/phone-numbers/${a.phoneNumberId}`, { token: a.token })).body.label).toBeNull();
  });

  it('lets builders write numbers and viewers only read them', async () => {
    const viewer = await memberToken(api, a.token, 'viewer');
    const builder = await memberToken(api, a.token, 'builder');
    expect((await api.get('/v1/phone-numbers', { token: viewer.token })).status).toBe(200);
    expectError(
      await api.post(
        '/v1/phone-numbers',
        { number: uniqueNumber(), agentId: a.agentId },
        { token: viewer.token },
      ),
      403,
      'forbidden',
    );
    const made = await api.post(
      '/v1/phone-numbers',
      { number: uniqueNumber(), agentId: a.agentId },
      { token: builder.token },
    );
    expect(made.status, made.text).toBe(201);
  });

  it('routes an inbound number before the tenant is known: active numbers of active tenants only', async () => {
    const store = createVoiceCallStore({ db: target.db });
    expect(await store.resolveInboundNumber(a.number)).toEqual({
      tenantId: a.tenantId,
      agentId: a.agentId,
      phoneNumberId: a.phoneNumberId,
      mode: 'media_stream',
    });
    // Formatting is tolerated; anything that is not a number finds nothing.
    expect(
      (await store.resolveInboundNumber(` ${a.number.slice(0, 4)} ${a.number.slice(4)}`))?.tenantId,
    ).toBe(a.tenantId);
    for (const probe of ['%', '', "' or 1=1 --", '+1%', uniqueNumber()]) {
      expect(await store.resolveInboundNumber(probe), probe).toBeNull();
    }

    const spare = await api.post(
      '/v1/phone-numbers',
      { number: uniqueNumber(), agentId: b.agentId },
      { token: b.token },
    );
    await api.patch(`/v1/phone-numbers/${spare.body.id}`, { status: 'disabled' }, { token: b.token });
    expect(await store.resolveInboundNumber(spare.body.number)).toBeNull();

    const suspended = await voiceTenant(api, adminToken, 'numbers-suspended');
    expect(await store.resolveInboundNumber(suspended.number)).not.toBeNull();
    await target.owner("update tenants set status = 'suspended' where id = $1", [suspended.tenantId]);
    expect(await store.resolveInboundNumber(suspended.number)).toBeNull();

    // The raw functions, as the application role with no tenant: routing columns only, no wildcard.
    const raw = await target.db.withoutTenant(null, async (tx) => ({
      numbers: await tx.execute(sql`select count(*)::int as n from phone_numbers`),
      wildcard: await tx.execute(sql`select * from lumay_private.voice_route_number('%')`),
      sid: await tx.execute(sql`select * from lumay_private.voice_call_by_sid('%')`),
    }));
    const rows = (result: unknown) =>
      Array.isArray(result) ? result : ((result as { rows: unknown[] }).rows ?? []);
    expect(rows(raw.numbers)).toEqual([{ n: 0 }]);
    expect(rows(raw.wildcard)).toEqual([]);
    expect(rows(raw.sid)).toEqual([]);
  });

  it('seeds the demo line once, routed to the demo agent over Media Streams', async () => {
    const store = createVoiceCallStore({ db: target.db });
    const route = await store.resolveInboundNumber(DEMO_PHONE_NUMBER);
    expect(route).toMatchObject({ tenantId: target.demoTenantId, mode: 'media_stream' });
    const [agent] = await target.owner<{ name: string }>('select name from agents where id = $1', [
      route?.agentId,
    ]);
    expect(agent?.name).toBe('Demo support agent');
    const again = () =>
      seed(createServices(target.deps), target.db, target.owner, {
        adminEmail: ADMIN_EMAIL,
        demo: { ownerEmail: DEMO_EMAIL },
      });
    expect((await again()).demo?.phoneNumber).toBe(DEMO_PHONE_NUMBER);
    const rows = () =>
      target.owner<{ id: string }>('select id from phone_numbers where number = $1', [DEMO_PHONE_NUMBER]);
    expect(await rows()).toHaveLength(1);
    // A demo tenant seeded before the voice channel gets its line on the next start.
    await target.owner('delete from phone_numbers where number = $1', [DEMO_PHONE_NUMBER]);
    await again();
    expect(await rows()).toHaveLength(1);
    expect((await store.resolveInboundNumber(DEMO_PHONE_NUMBER))?.agentId).toBe(route?.agentId);
  });

  it('lets the routing role read only routing columns, and resolves a CallSid to its call', async () => {
    const privileges = await target.owner<{ column_name: string; allowed: boolean }>(
      `select column_name, has_column_privilege('lumay_router', table_name, column_name, 'SELECT') as allowed
         from information_schema.columns where table_schema = 'public' and table_name in ('phone_numbers', 'calls')
        order by table_name, column_name`,
    );
    const allowed = privileges
      .filter((row) => row.allowed)
      .map((row) => row.column_name)
      .sort();
    expect(allowed).toEqual([
      'agent_id',
      'id',
      'id',
      'mode',
      'number',
      'status',
      'tenant_id',
      'tenant_id',
      'twilio_call_sid',
    ]);
    const [owners] = await target.owner<{ owners: string[] }>(
      `select array_agg(distinct pg_get_userbyid(proowner)::text) as owners from pg_proc
        where proname in ('voice_route_number', 'voice_call_by_sid')`,
    );
    expect(owners?.owners).toEqual(['lumay_router']);

    const store = createVoiceCallStore({ db: target.db });
    const callSid = `CA${newId('request').slice(4)}`;
    const created = await store.createInboundCall(voiceContext(a.tenantId), {
      agentId: a.agentId,
      phoneNumberId: a.phoneNumberId,
      callSid,
      from: '+15557770000',
      to: a.number,
    });
    expect(await store.resolveCallSid(callSid)).toEqual({ tenantId: a.tenantId, callId: created.callId });
    expect(await store.resolveCallSid('CA-unknown')).toBeNull();
    expect(await store.resolveCallSid('')).toBeNull();
  });
});
