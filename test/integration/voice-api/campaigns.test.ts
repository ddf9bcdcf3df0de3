import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { uniqueNumber, type VoiceTenant, voiceTenant } from './support.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('campaigns API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let a: VoiceTenant;
  let b: VoiceTenant;

  const createCampaign = async (tenant: VoiceTenant, extra: Record<string, unknown> = {}) => {
    const response = await api.post(
      '/v1/campaigns',
      { name: 'Renewals', agentId: tenant.agentId, fromNumber: tenant.number, ...extra },
      { token: tenant.token },
    );
    expect(response.status, response.text).toBe(201);
    return response.body as { id: string; status: string };
  };

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    a = await voiceTenant(api, adminToken, 'campaigns-a');
    b = await voiceTenant(api, adminToken, 'campaigns-b');
  });
  afterAll(() => target?.close());

  it('creates a draft with default settings, reads it with contact counts, updates and lists it', async () => {
    const created = await api.post(
      '/v1/campaigns',
      { name: 'Renewals', agentId: a.agentId, fromNumber: a.number },
      { token: a.token },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Renewals',
      status: 'draft',
      fromNumber: a.number,
      window: { timezone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      pacing: { callsPerMinute: 10, maxConcurrent: 5 },
      retry: { maxAttempts: 3, backoffMinutes: 60 },
    });
    expect(created.body.id).toMatch(/^cmp_/);
    const fetched = await api.get(`/v1/campaigns/${created.body.id}`, { token: a.token });
    expect(fetched.body.contacts).toEqual({
      pending: 0,
      calling: 0,
      completed: 0,
      failed: 0,
      exhausted: 0,
      skipped: 0,
    });

    const updated = await api.patch(
      `/v1/campaigns/${created.body.id}`,
      {
        name: 'Renewals EU',
        window: { timezone: 'Europe/Berlin', days: [5, 1, 1], start: '18:00', end: '09:00' },
        pacing: { callsPerMinute: 30, maxConcurrent: 3 },
      },
      { token: a.token },
    );
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'Renewals EU',
      window: { timezone: 'Europe/Berlin', days: [1, 5], start: '18:00', end: '09:00' },
      pacing: { callsPerMinute: 30, maxConcurrent: 3 },
    });
    const listed = await api.get('/v1/campaigns?status=draft&limit=1', { token: a.token });
    expect(listed.body.data.map((row: { id: string }) => row.id)).toEqual([created.body.id]);
    const audit = await api.get(`/v1/audit?resourceId=${created.body.id}`, { token: a.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual([
      'campaign.update',
      'campaign.create',
    ]);
  });

  it('refuses bad windows, pacing, retries, caller ids and agents', async () => {
    const base = { name: 'Bad', agentId: a.agentId, fromNumber: a.number };
    for (const extra of [
      { window: { timezone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' } },
      { window: { timezone: 'UTC', days: [], start: '09:00', end: '17:00' } },
      { window: { timezone: 'UTC', days: [7], start: '09:00', end: '17:00' } },
      { window: { timezone: 'UTC', days: [1], start: '9:00', end: '17:00' } },
      { window: { timezone: 'UTC', days: [1], start: '09:00', end: '24:00' } },
      { window: { timezone: 'UTC', days: [1], start: '09:00' } },
      { pacing: { callsPerMinute: 0, maxConcurrent: 1 } },
      { pacing: { callsPerMinute: 1, maxConcurrent: 1.5 } },
      { retry: { maxAttempts: 11, backoffMinutes: 5 } },
      { retry: { maxAttempts: 2, backoffMinutes: 0 } },
      { fromNumber: '555-0100' },
      { fromNumber: b.number },
      { fromNumber: uniqueNumber() },
      { name: '' },
    ]) {
      expectError(
        await api.post('/v1/campaigns', { ...base, ...extra }, { token: a.token }),
        400,
        'validation_failed',
      );
    }
    expectError(
      await api.post('/v1/campaigns', { ...base, agentId: b.agentId }, { token: a.token }),
      404,
      'not_found',
    );
    const campaign = await createCampaign(a);
    expectError(
      await api.patch(`/v1/campaigns/${campaign.id}`, {}, { token: a.token }),
      400,
      'validation_failed',
    );
    expectError(
      await api.patch(`/v1/campaigns/${campaign.id}`, { fromNumber: b.number }, { token: a.token }),
      400,
      'validation_failed',
    );
  });

  it('adds contacts in bulk, reporting invalid, repeated and existing numbers by index', async () => {
    const campaign = await createCampaign(a);
    const first = uniqueNumber();
    const second = uniqueNumber();
    const added = await api.post(
      `/v1/campaigns/${campaign.id}/contacts`,
      {
        contacts: [
          { phone: first, name: 'Ada', variables: { plan: 'gold' } },
          { phone: `${second.slice(0, 5)}-${second.slice(5)}` },
          { phone: 'not a number' },
          { phone: first, name: 'Ada again' },
        ],
      },
      { token: a.token },
    );
    expect(added.status, added.text).toBe(200);
    expect(added.body).toEqual({
      added: 2,
      rejected: [
        { index: 2, phone: 'not a number', reason: 'invalid_phone' },
        { index: 3, phone: first, reason: 'duplicate_in_request' },
      ],
    });
    const again = await api.post(
      `/v1/campaigns/${campaign.id}/contacts`,
      { contacts: [{ phone: second }, { phone: uniqueNumber() }] },
      { token: a.token },
    );
    expect(again.body).toEqual({
      added: 1,
      rejected: [{ index: 0, phone: second, reason: 'already_in_campaign' }],
    });

    const listed = await api.get(`/v1/campaigns/${campaign.id}/contacts?limit=2`, { token: a.token });
    expect(listed.body.data.map((row: { phone: string }) => row.phone)).toEqual([first, second]);
    expect(listed.body.data[0]).toMatchObject({
      name: 'Ada',
      variables: { plan: 'gold' },
      status: 'pending',
      attempts: 0,
    });
    const rest = await api.get(`/v1/campaigns/${campaign.id}/contacts?cursor=${listed.body.nextCursor}`, {
      token: a.token,
    });
    expect(rest.body.data).toHaveLength(1);
    expect((await api.get(`/v1/campaigns/${campaign.id}`, { token: a.token })).body.contacts.pending).toBe(3);

    const tooMany = Array.from({ length: 1001 }, (_, index) => ({
      phone: `+1666${String(index).padStart(7, '0')}`,
    }));
    expectError(
      await api.post(`/v1/campaigns/${campaign.id}/contacts`, { contacts: tooMany }, { token: a.token }),
      400,
      'validation_failed',
    );
    expectError(
      await api.post(`/v1/campaigns/${campaign.id}/contacts`, { contacts: [] }, { token: a.token }),
      400,
      'validation_failed',
    );
    const thousand = await api.post(
      `/v1/campaigns/${campaign.id}/contacts`,
      { contacts: tooMany.slice(0, 1000) },
      { token: a.token },
    );
    expect(thousand.body).toEqual({ added: 1000, rejected: [] });
  });

  it('moves draft → running ⇄ paused and refuses the other transitions with 409', async () => {
    const campaign = await createCampaign(a);
    const start = (id: string) => api.post(`/v1/campaigns/${id}/start`, {}, { token: a.token });
    const pause = (id: string) => api.post(`/v1/campaigns/${id}/pause`, {}, { token: a.token });
    expectError(await start(campaign.id), 409, 'conflict');
    expectError(await pause(campaign.id), 409, 'conflict');
    await api.post(
      `/v1/campaigns/${campaign.id}/contacts`,
      { contacts: [{ phone: uniqueNumber() }] },
      { token: a.token },
    );
    expect((await start(campaign.id)).body.status).toBe('running');
    expectError(await start(campaign.id), 409, 'conflict');
    expectError(await api.delete(`/v1/campaigns/${campaign.id}`, { token: a.token }), 409, 'conflict');
    expect((await pause(campaign.id)).body.status).toBe('paused');
    expectError(await pause(campaign.id), 409, 'conflict');
    expect((await start(campaign.id)).body.status).toBe('running');
    expect((await pause(campaign.id)).body.status).toBe('paused');
    expectError(
      await api.post(`/v1/campaigns/${campaign.id}/start`, { now: true }, { token: a.token }),
      400,
      'validation_failed',
    );

    expect((await api.delete(`/v1/campaigns/${campaign.id}`, { token: a.token })).status).toBe(204);
    expectError(await api.get(`/v1/campaigns/${campaign.id}`, { token: a.token }), 404, 'not_found');
    expect(
      await target.owner('select id from campaign_contacts where campaign_id = $1', [campaign.id]),
    ).toEqual([]);
    const audit = await api.get(`/v1/audit?resourceId=${campaign.id}&limit=100`, { token: a.token });
    expect(audit.body.data.map((row: { action: string }) => row.action).reverse()).toEqual([
      'campaign.create',
      'campaign.contacts_add',
      'campaign.start',
      'campaign.pause',
      'campaign.start',
      'campaign.pause',
      'campaign.delete',
    ]);
  });

  it("answers 404 on every route for another tenant's campaign and never lists it", async () => {
    const campaign = await createCampaign(a);
    for (const [method, path, body] of [
      ['GET', `/v1/campaigns/${campaign.id}`, undefined],
      ['PATCH', `/v1/campaigns/${campaign.id}`, { name: 'hijacked' }],
      ['DELETE', `/v1/campaigns/${campaign.id}`, undefined],
      ['GET', `/v1/campaigns/${campaign.id}/contacts`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/contacts`, { contacts: [{ phone: uniqueNumber() }] }],
      ['POST', `/v1/campaigns/${campaign.id}/start`, {}],
      ['POST', `/v1/campaigns/${campaign.id}/pause`, {}],
    ] as const) {
      const foreign = await api.call(method, path, { token: b.token, body });
      expectError(foreign, 404, 'not_found');
      const missing = await api.call(method, path.replace(campaign.id, fakeId('cmp')), {
        token: b.token,
        body,
      });
      expect(foreign.body.error.message).toBe(missing.body.error.message);
    }
    expect((await api.get('/v1/campaigns?limit=100', { token: b.token })).text).not.toContain(campaign.id);
    expect((await api.get(`/v1/campaigns/${campaign.id}`, { token: a.token })).body).toMatchObject({
      name: 'Renewals',
      status: 'draft',
    });
  });

  it('lets operators run campaigns, and builders and viewers only read them', async () => {
    const operator = await memberToken(api, a.token, 'operator');
    const builder = await memberToken(api, a.token, 'builder');
    const viewer = await memberToken(api, a.token, 'viewer');
    const body = { name: 'Ops', agentId: a.agentId, fromNumber: a.number };
    expect((await api.post('/v1/campaigns', body, { token: operator.token })).status).toBe(201);
    expectError(await api.post('/v1/campaigns', body, { token: builder.token }), 403, 'forbidden');
    expectError(await api.post('/v1/campaigns', body, { token: viewer.token }), 403, 'forbidden');
    expect((await api.get('/v1/campaigns', { token: viewer.token })).status).toBe(200);
  });
});
