import {
  type CampaignScheduler,
  createCampaignScheduler,
  createVoiceServices,
  type VoiceServices,
  voiceContext,
} from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginAdmin } from '../../support/client.ts';
import { expectError } from '../security/error-shape.ts';
import { settableClock, uniqueNumber, voiceTenant } from './support.ts';

const ALL_DAY = { timezone: 'UTC', days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '00:00' };
const MINUTE = 60_000;

interface ContactRow {
  phone: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_result: string | null;
  last_call_id: string | null;
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('campaign scheduler on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let voice: VoiceServices;
  // Monday 2026-07-06 12:00 UTC.
  const clock = settableClock(new Date('2026-07-06T12:00:00Z'));

  beforeAll(async () => {
    target = await createAppTarget(kind, { clock });
    api = client(target);
    adminToken = await loginAdmin(api);
    voice = createVoiceServices({ db: target.db, clock });
  });
  afterAll(() => target?.close());

  /** A tenant with a running campaign of `contacts` numbers, and a scheduler that sees only that tenant. */
  async function running(settings: Record<string, unknown>, contacts: number) {
    const tenant = await voiceTenant(api, adminToken, 'scheduler');
    const created = await api.post(
      '/v1/campaigns',
      { name: 'Outreach', agentId: tenant.agentId, fromNumber: tenant.number, window: ALL_DAY, ...settings },
      { token: tenant.token },
    );
    expect(created.status, created.text).toBe(201);
    const phones = Array.from({ length: contacts }, () => uniqueNumber());
    const added = await api.post(
      `/v1/campaigns/${created.body.id}/contacts`,
      { contacts: phones.map((phone) => ({ phone, name: `Contact ${phone}`, variables: { plan: 'gold' } })) },
      { token: tenant.token },
    );
    expect(added.body.added).toBe(contacts);
    expect(
      (await api.post(`/v1/campaigns/${created.body.id}/start`, {}, { token: tenant.token })).status,
    ).toBe(200);
    const scheduler = createCampaignScheduler({
      db: target.db,
      tenantIds: async () => [tenant.tenantId],
      clock,
      intervalMs: 60_000,
    });
    return { tenant, campaignId: created.body.id as string, phones, scheduler };
  }

  const contacts = (campaignId: string) =>
    target.owner<ContactRow>(
      'select phone, status, attempts, next_attempt_at, last_result, last_call_id from campaign_contacts where campaign_id = $1 order by id',
      [campaignId],
    );
  const calls = (campaignId: string) =>
    target.owner<{ id: string; status: string; to_number: string; end_reason: string | null }>(
      'select id, status, to_number, end_reason from calls where campaign_id = $1 order by id',
      [campaignId],
    );
  const campaignStatus = async (campaignId: string) =>
    (await target.owner<{ status: string }>('select status from campaigns where id = $1', [campaignId]))[0]
      ?.status;
  const requested = async (scheduler: CampaignScheduler) =>
    (await scheduler.tick(clock.now())).callsRequested;

  it('requests calls through the outbox with the campaign ids, marking contacts calling', async () => {
    const { tenant, campaignId, phones, scheduler } = await running({}, 2);
    expect(await requested(scheduler)).toBe(2);
    const placed = await calls(campaignId);
    expect(placed.map((call) => call.to_number).sort()).toEqual([...phones].sort());
    expect(placed.every((call) => call.status === 'requested')).toBe(true);
    const events = await target.owner<{ payload: Record<string, unknown> }>(
      "select payload from outbox where tenant_id = $1 and topic = 'outbound.call.requested' order by id",
      [tenant.tenantId],
    );
    expect(events.map((event) => event.payload)).toEqual(
      placed.map((call) => ({
        callId: call.id,
        agentId: tenant.agentId,
        to: call.to_number,
        from: tenant.number,
        campaignId,
      })),
    );
    expect((await contacts(campaignId)).map((contact) => [contact.status, contact.attempts])).toEqual([
      ['calling', 1],
      ['calling', 1],
    ]);
    const [audit] = await target.owner<{ actor_type: string; actor_id: string }>(
      "select actor_type, actor_id from audit_log where resource_id = $1 and action = 'call.create'",
      [placed[0]?.id],
    );
    expect(audit).toEqual({ actor_type: 'system', actor_id: 'campaign-scheduler' });
    // The voice node finds the person it calls in the call's metadata.
    const call = await voice.callStore.getCall(voiceContext(tenant.tenantId), placed[0]?.id ?? '');
    const contact = (await contacts(campaignId)).find((row) => row.last_call_id === call.id);
    expect(call).toMatchObject({
      campaignId,
      campaignContactId: expect.stringMatching(/^ccn_/),
      direction: 'outbound',
    });
    expect(call.metadata).toEqual({
      campaignId,
      contactId: call.campaignContactId,
      contactName: `Contact ${contact?.phone}`,
      'contact.plan': 'gold',
    });
    expect(await requested(scheduler)).toBe(0);
  });

  it('calls only inside the local time window, including a window that runs past midnight', async () => {
    const { campaignId, scheduler } = await running(
      {
        window: { timezone: 'America/New_York', days: [1], start: '22:00', end: '02:00' },
        pacing: { callsPerMinute: 1, maxConcurrent: 10 },
      },
      5,
    );
    clock.at = new Date('2026-07-07T01:00:00Z'); // Monday 21:00 in New York (Tuesday in UTC).
    expect(await requested(scheduler)).toBe(0);
    clock.at = new Date('2026-07-07T02:30:00Z'); // Monday 22:30 in New York.
    expect(await requested(scheduler)).toBe(1);
    clock.at = new Date('2026-07-07T05:59:00Z'); // Tuesday 01:59: still Monday's window.
    expect(await requested(scheduler)).toBe(1);
    clock.at = new Date('2026-07-07T06:00:00Z'); // Tuesday 02:00: closed.
    expect(await requested(scheduler)).toBe(0);
    clock.at = new Date('2026-07-08T02:30:00Z'); // Tuesday 22:30: Tuesday is not a calling day.
    expect(await requested(scheduler)).toBe(0);
    clock.at = new Date('2026-07-14T02:30:00Z'); // The next Monday 22:30.
    expect(await requested(scheduler)).toBe(1);
    expect(await calls(campaignId)).toHaveLength(3);
  });

  it('keeps to callsPerMinute over the last minute', async () => {
    clock.at = new Date('2026-07-20T12:00:00Z');
    const { campaignId, scheduler } = await running({ pacing: { callsPerMinute: 2, maxConcurrent: 50 } }, 5);
    expect(await requested(scheduler)).toBe(2);
    clock.advance(30_000);
    expect(await requested(scheduler)).toBe(0);
    clock.advance(31_000);
    expect(await requested(scheduler)).toBe(2);
    clock.advance(61_000);
    expect(await requested(scheduler)).toBe(1);
    clock.advance(61_000);
    expect(await requested(scheduler)).toBe(0);
    expect(await calls(campaignId)).toHaveLength(5);
  });

  it('keeps to maxConcurrent calls in flight, and frees a slot when one ends', async () => {
    clock.at = new Date('2026-07-21T12:00:00Z');
    const { tenant, campaignId, scheduler } = await running(
      { pacing: { callsPerMinute: 100, maxConcurrent: 2 } },
      4,
    );
    expect(await requested(scheduler)).toBe(2);
    clock.advance(MINUTE);
    expect(await requested(scheduler)).toBe(0);
    const [first, second] = await calls(campaignId);
    const context = voiceContext(tenant.tenantId);
    await voice.callStore.markDialing(context, first?.id ?? '');
    await voice.callStore.recordStatus(context, {
      callId: second?.id ?? '',
      sequenceNumber: 0,
      status: 'ringing',
    });
    expect(await requested(scheduler)).toBe(0);
    await voice.callStore.finishCall(context, first?.id ?? '', { status: 'completed', endReason: 'hangup' });
    expect(await requested(scheduler)).toBe(1);
    expect(await requested(scheduler)).toBe(0);
  });

  it('retries after the backoff while attempts remain, then exhausts the contact and completes', async () => {
    clock.at = new Date('2026-07-22T12:00:00Z');
    const { tenant, campaignId, scheduler } = await running(
      { retry: { maxAttempts: 2, backoffMinutes: 30 } },
      1,
    );
    const context = voiceContext(tenant.tenantId);
    expect(await requested(scheduler)).toBe(1);
    const [firstCall] = await calls(campaignId);
    await voice.callStore.markDialing(context, firstCall?.id ?? '');
    const busy = await voice.callStore.recordStatus(context, {
      callId: firstCall?.id ?? '',
      sequenceNumber: 1,
      status: 'busy',
    });
    expect(busy.call).toMatchObject({ status: 'busy', endReason: 'busy' });
    const [waiting] = await contacts(campaignId);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, last_result: 'busy' });
    expect(new Date(waiting?.next_attempt_at ?? 0).toISOString()).toBe('2026-07-22T12:30:00.000Z');

    clock.advance(10 * MINUTE);
    expect(await requested(scheduler)).toBe(0);
    clock.advance(21 * MINUTE);
    expect(await requested(scheduler)).toBe(1);
    const secondCall = (await calls(campaignId))[1];
    expect((await contacts(campaignId))[0]).toMatchObject({
      status: 'calling',
      attempts: 2,
      last_call_id: secondCall?.id,
    });
    // A late callback of the first attempt changes nothing.
    await voice.callStore.recordStatus(context, {
      callId: firstCall?.id ?? '',
      sequenceNumber: 2,
      status: 'completed',
    });
    expect((await contacts(campaignId))[0]?.status).toBe('calling');

    await voice.callStore.recordStatus(context, {
      callId: secondCall?.id ?? '',
      sequenceNumber: 1,
      status: 'no-answer',
    });
    expect((await contacts(campaignId))[0]).toMatchObject({
      status: 'exhausted',
      attempts: 2,
      last_result: 'no_answer',
    });
    expect(await campaignStatus(campaignId)).toBe('completed');
    const audit = await target.owner<{ action: string }>(
      'select action from audit_log where resource_id = $1 order by seq',
      [campaignId],
    );
    expect(audit.map((row) => row.action)).toEqual([
      'campaign.create',
      'campaign.contacts_add',
      'campaign.start',
      'campaign.complete',
    ]);
    clock.advance(60 * MINUTE);
    expect(await requested(scheduler)).toBe(0);
    expectError(
      await api.post(`/v1/campaigns/${campaignId}/start`, {}, { token: tenant.token }),
      409,
      'conflict',
    );
    expectError(
      await api.patch(`/v1/campaigns/${campaignId}`, { name: 'again' }, { token: tenant.token }),
      409,
      'conflict',
    );
  });

  it('completes a contact a human answered, retries a machine, skips a fax line', async () => {
    clock.at = new Date('2026-07-23T12:00:00Z');
    const { tenant, campaignId, scheduler } = await running(
      { retry: { maxAttempts: 3, backoffMinutes: 5 } },
      3,
    );
    const context = voiceContext(tenant.tenantId);
    expect(await requested(scheduler)).toBe(3);
    const [human, machine, fax] = await calls(campaignId);
    const store = voice.callStore;
    const token = await store.issueStreamToken(context, human?.id ?? '');
    await store.markDialing(context, human?.id ?? '');
    await store.claimStream(context, { callId: human?.id ?? '', token: token.streamToken });
    await store.finishCall(context, human?.id ?? '', {
      status: 'completed',
      endReason: 'hangup',
      summary: 'Renewed',
    });
    await store.recordStatus(context, {
      callId: machine?.id ?? '',
      sequenceNumber: 1,
      status: 'in-progress',
      answeredBy: 'machine_end_beep',
    });
    await store.finishCall(context, machine?.id ?? '', { status: 'completed', endReason: 'machine' });
    await store.recordStatus(context, {
      callId: fax?.id ?? '',
      sequenceNumber: 1,
      status: 'completed',
      answeredBy: 'fax',
    });

    const byCall = new Map((await contacts(campaignId)).map((contact) => [contact.last_call_id, contact]));
    expect(byCall.get(human?.id ?? null)).toMatchObject({ status: 'completed', last_result: 'answered' });
    expect(byCall.get(machine?.id ?? null)).toMatchObject({ status: 'pending', last_result: 'machine' });
    expect(byCall.get(fax?.id ?? null)).toMatchObject({ status: 'skipped', last_result: 'fax' });
    expect(await campaignStatus(campaignId)).toBe('running');

    clock.advance(6 * MINUTE);
    expect(await requested(scheduler)).toBe(1);
    const retry = (await calls(campaignId))[3];
    await store.finishCall(context, retry?.id ?? '', { status: 'completed', endReason: 'hangup' });
    expect(await campaignStatus(campaignId)).toBe('completed');
    const detail = await api.get(`/v1/campaigns/${campaignId}`, { token: tenant.token });
    expect(detail.body.contacts).toEqual({
      pending: 0,
      calling: 0,
      completed: 2,
      failed: 0,
      exhausted: 0,
      skipped: 1,
    });
  });

  it('gives up calls the voice node never reported on, and retries their contacts', async () => {
    clock.at = new Date('2026-07-24T12:00:00Z');
    const { campaignId, scheduler } = await running({ retry: { maxAttempts: 2, backoffMinutes: 1 } }, 1);
    expect(await requested(scheduler)).toBe(1);
    clock.advance(11 * MINUTE);
    const report = await scheduler.tick(clock.now());
    expect(report).toMatchObject({ staleCalls: 1, callsRequested: 0 });
    expect((await calls(campaignId))[0]).toMatchObject({ status: 'failed', end_reason: 'timeout' });
    expect((await contacts(campaignId))[0]).toMatchObject({ status: 'pending', last_result: 'failed' });
    clock.advance(2 * MINUTE);
    expect(await requested(scheduler)).toBe(1);
  });

  it('places nothing for a paused campaign, and pauses one whose caller id is gone', async () => {
    clock.at = new Date('2026-07-27T12:00:00Z');
    const { tenant, campaignId, scheduler } = await running({}, 2);
    await api.post(`/v1/campaigns/${campaignId}/pause`, {}, { token: tenant.token });
    expect(await requested(scheduler)).toBe(0);
    await api.post(`/v1/campaigns/${campaignId}/start`, {}, { token: tenant.token });
    expect(
      (await api.delete(`/v1/phone-numbers/${tenant.phoneNumberId}`, { token: tenant.token })).status,
    ).toBe(204);
    const report = await scheduler.tick(clock.now());
    expect(report).toMatchObject({ paused: 1, callsRequested: 0 });
    expect(await campaignStatus(campaignId)).toBe('paused');
    expectError(
      await api.post(`/v1/campaigns/${campaignId}/start`, {}, { token: tenant.token }),
      400,
      'validation_failed',
    );
  });

  it('never exceeds the pacing budget when two schedulers tick at once', async () => {
    clock.at = new Date('2026-07-28T12:00:00Z');
    const { tenant, campaignId, scheduler } = await running(
      { pacing: { callsPerMinute: 3, maxConcurrent: 10 } },
      10,
    );
    const other = createCampaignScheduler({
      db: target.db,
      tenantIds: async () => [tenant.tenantId],
      clock,
      intervalMs: 60_000,
    });
    const reports = await Promise.all([
      scheduler.tick(clock.now()),
      other.tick(clock.now()),
      scheduler.tick(clock.now()),
    ]);
    expect(reports.reduce((sum, report) => sum + report.callsRequested, 0)).toBe(3);
    expect(await calls(campaignId)).toHaveLength(3);
    expect(new Set((await calls(campaignId)).map((call) => call.to_number)).size).toBe(3);
  });

  it('runs on its timer and stops cleanly', async () => {
    clock.at = new Date('2026-07-29T12:00:00Z');
    const { tenant, campaignId } = await running({}, 1);
    const timed = createCampaignScheduler({
      db: target.db,
      tenantIds: async () => [tenant.tenantId],
      clock,
      intervalMs: 20,
    });
    timed.start();
    for (let waited = 0; waited < 100 && (await calls(campaignId)).length === 0; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await timed.stop();
    expect(await calls(campaignId)).toHaveLength(1);
  });
});
