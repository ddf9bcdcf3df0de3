import { createVoiceCallStore, newId, voiceContext } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { uniqueNumber, type VoiceTenant, voiceTenant } from './support.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('calls API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let a: VoiceTenant;
  let b: VoiceTenant;

  const outbox = (tenantId: string) =>
    target.owner<{ topic: string; payload: Record<string, unknown> }>(
      "select topic, payload from outbox where tenant_id = $1 and topic = 'outbound.call.requested' order by id",
      [tenantId],
    );

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    a = await voiceTenant(api, adminToken, 'calls-a');
    b = await voiceTenant(api, adminToken, 'calls-b');
  });
  afterAll(() => target?.close());

  it('requests an outbound call: 202, status requested, exactly one outbox event, audited', async () => {
    const to = uniqueNumber();
    const before = await outbox(a.tenantId);
    const response = await api.post(
      '/v1/calls',
      { agentId: a.agentId, to, metadata: { order: '10423' } },
      { token: a.token },
    );
    expect(response.status, response.text).toBe(202);
    expect(response.body).toMatchObject({
      agentId: a.agentId,
      direction: 'outbound',
      status: 'requested',
      from: a.number,
      to,
      phoneNumberId: a.phoneNumberId,
      twilioCallSid: null,
      metadata: { order: '10423' },
    });
    expect(response.body.id).toMatch(/^cal_/);
    expect(response.headers.get('location')).toBe(`/v1/calls/${response.body.id}`);
    const events = (await outbox(a.tenantId)).slice(before.length);
    expect(events).toEqual([
      {
        topic: 'outbound.call.requested',
        payload: { callId: response.body.id, agentId: a.agentId, to, from: a.number },
      },
    ]);
    const audit = await api.get(`/v1/audit?resourceId=${response.body.id}`, { token: a.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual(['call.create']);
  });

  it('calls from a chosen number only when it is an active number of the tenant', async () => {
    const spare = await api.post(
      '/v1/phone-numbers',
      { number: uniqueNumber(), agentId: a.agentId },
      { token: a.token },
    );
    const chosen = await api.post(
      '/v1/calls',
      { agentId: a.agentId, to: uniqueNumber(), from: spare.body.number },
      { token: a.token },
    );
    expect(chosen.status, chosen.text).toBe(202);
    expect(chosen.body).toMatchObject({ from: spare.body.number, phoneNumberId: spare.body.id });

    const before = await outbox(a.tenantId);
    // Another tenant's number, a disabled number and an unknown number are all refused, nothing is written.
    await api.patch(`/v1/phone-numbers/${spare.body.id}`, { status: 'disabled' }, { token: a.token });
    for (const from of [b.number, spare.body.number, uniqueNumber()]) {
      const refused = await api.post(
        '/v1/calls',
        { agentId: a.agentId, to: uniqueNumber(), from },
        { token: a.token },
      );
      expectError(refused, 400, 'validation_failed');
      expect(refused.body.error.message).toContain('from');
    }
    // An agent without a number needs an explicit from.
    const bare = await api.post('/v1/agents', { name: 'No number' }, { token: a.token });
    expectError(
      await api.post('/v1/calls', { agentId: bare.body.id, to: uniqueNumber() }, { token: a.token }),
      400,
      'validation_failed',
    );
    expect(await outbox(a.tenantId)).toEqual(before);
  });

  it('refuses bad numbers, unknown and foreign agents', async () => {
    for (const to of ['12345', '+0000', 'call me', '+1 555 01']) {
      expectError(
        await api.post('/v1/calls', { agentId: a.agentId, to }, { token: a.token }),
        400,
        'validation_failed',
      );
    }
    for (const agentId of [fakeId('agt'), b.agentId]) {
      expectError(
        await api.post('/v1/calls', { agentId, to: uniqueNumber() }, { token: a.token }),
        404,
        'not_found',
      );
    }
    expectError(
      await api.post(
        '/v1/calls',
        { agentId: a.agentId, to: uniqueNumber(), status: 'completed' },
        { token: a.token },
      ),
      400,
      'validation_failed',
    );
  });

  it('lists calls newest first with filters and a cursor, and reads one with its turns', async () => {
    const tenant = await voiceTenant(api, adminToken, 'calls-list');
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const made = await api.post(
        '/v1/calls',
        { agentId: tenant.agentId, to: uniqueNumber() },
        { token: tenant.token },
      );
      ids.push(made.body.id);
    }
    const store = createVoiceCallStore({ db: target.db });
    const context = voiceContext(tenant.tenantId);
    const inbound = await store.createInboundCall(context, {
      agentId: tenant.agentId,
      phoneNumberId: tenant.phoneNumberId,
      callSid: `CA${newId('request').slice(4)}`,
      from: '+15557770001',
      to: tenant.number,
    });
    await store.appendTurn(context, inbound.callId, {
      callerText: 'Where is my order?',
      assistantText: 'Let me check that for you. It ships tomorrow.',
      heardText: 'Let me check that for you.',
      interrupted: true,
      latencyMs: { speechEndToSttFinal: 180, totalResponse: 720 },
      bargeInReactionMs: 95,
    });
    await store.markDialing(context, ids[0] ?? '');

    const first = await api.get('/v1/calls?limit=2', { token: tenant.token });
    expect(first.body.data.map((call: { id: string }) => call.id)).toEqual([inbound.callId, ids[2]]);
    expect(first.body.data[0]).not.toHaveProperty('turns');
    const rest = await api.get(`/v1/calls?limit=2&cursor=${first.body.nextCursor}`, { token: tenant.token });
    expect(rest.body.data.map((call: { id: string }) => call.id)).toEqual([ids[1], ids[0]]);
    expect(rest.body.nextCursor).toBeNull();

    const listed = (response: { body: { data: { id: string }[] } }) =>
      response.body.data.map((call) => call.id);
    expect(listed(await api.get('/v1/calls?direction=inbound', { token: tenant.token }))).toEqual([
      inbound.callId,
    ]);
    expect(listed(await api.get('/v1/calls?status=dialing', { token: tenant.token }))).toEqual([ids[0]]);
    expect(
      listed(await api.get(`/v1/calls?agentId=${tenant.agentId}&status=requested`, { token: tenant.token })),
    ).toEqual([ids[2], ids[1]]);
    expect(listed(await api.get(`/v1/calls?campaignId=${fakeId('cmp')}`, { token: tenant.token }))).toEqual(
      [],
    );
    expectError(
      await api.get('/v1/calls?status=ringing-ish', { token: tenant.token }),
      400,
      'validation_failed',
    );

    const detail = await api.get(`/v1/calls/${inbound.callId}`, { token: tenant.token });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      direction: 'inbound',
      status: 'ringing',
      from: '+15557770001',
      links: { conversation: null },
    });
    expect(detail.body.turns).toEqual([
      {
        index: 0,
        callerText: 'Where is my order?',
        assistantText: 'Let me check that for you. It ships tomorrow.',
        heardText: 'Let me check that for you.',
        interrupted: true,
        latencyMs: {
          speechEndToSttFinal: 180,
          sttFinalToLlmFirstToken: null,
          llmFirstTokenToTtsFirstByte: null,
          ttsFirstByteToFirstFrame: null,
          totalResponse: 720,
          serverAddedMs: null,
        },
        bargeInReactionMs: 95,
        at: expect.any(String),
      },
    ]);
    expect(detail.text).not.toContain('streamToken');
  });

  it("answers 404 for another tenant's call and never lists it", async () => {
    const made = await api.post('/v1/calls', { agentId: a.agentId, to: uniqueNumber() }, { token: a.token });
    expectError(await api.get(`/v1/calls/${made.body.id}`, { token: b.token }), 404, 'not_found');
    expectError(await api.get(`/v1/calls/${fakeId('cal')}`, { token: b.token }), 404, 'not_found');
    const listed = await api.get('/v1/calls?limit=100', { token: b.token });
    expect(listed.text).not.toContain(made.body.id);
  });

  it('lets operators place calls and viewers only read them', async () => {
    const viewer = await memberToken(api, a.token, 'viewer');
    const operator = await memberToken(api, a.token, 'operator');
    expect((await api.get('/v1/calls', { token: viewer.token })).status).toBe(200);
    expectError(
      await api.post('/v1/calls', { agentId: a.agentId, to: uniqueNumber() }, { token: viewer.token }),
      403,
      'forbidden',
    );
    expect(
      (await api.post('/v1/calls', { agentId: a.agentId, to: uniqueNumber() }, { token: operator.token }))
        .status,
    ).toBe(202);
  });
});
