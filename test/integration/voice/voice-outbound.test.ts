import { createOutboxRelay, type OutboxRelay } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhook } from '../../support/twilio/fake-twilio.ts';
import { many, single } from '../../support/twilio/fake-twilio-rest.ts';
import { childElements, parameterRecord, parseTwiml } from '../../support/twilio/twiml-reader.ts';
import { PUBLIC_BASE_URL } from '../../support/voice-target.ts';
import {
  agentFinished,
  type CallDetailsBody,
  createVoiceAgent,
  eventually,
  menuFlow,
  startVoiceFixture,
  type VoiceAgent,
  type VoiceFixture,
} from './voice-helpers.ts';

const HUMAN = '+15550177001';
const MACHINE = '+15550177002';
const BUSY = '+15550177003';

/**
 * Outbound calls end to end: `POST /v1/calls` → outbox → relay → bus → the voice node's dialer →
 * Twilio's Create Call (the fake) → the callee answers → media stream back to the node → status
 * callbacks and answering machine detection settle the call record.
 */
describe('outbound calls through the dialer and the fake Twilio', () => {
  let fx: VoiceFixture;
  let relay: OutboxRelay;
  let agent: VoiceAgent;

  beforeAll(async () => {
    fx = await startVoiceFixture({
      twilio: { callees: { [MACHINE]: { answeredBy: 'machine_start' }, [BUSY]: { outcome: 'busy' } } },
    });
    // The app target's bus is in-process: committed outbox rows reach it through a relay, as in production.
    relay = createOutboxRelay({ db: fx.app.db, bus: fx.app.deps.bus, intervalMs: 20 });
    relay.start();
    agent = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow('Hello, this is the store calling.') });
  });
  afterAll(async () => {
    await relay?.stop();
    await fx?.close();
  });

  async function requestCall(to: string): Promise<{ callId: string; sid: string }> {
    const response = await fx.api.post(
      '/v1/calls',
      { agentId: agent.agentId, to, from: agent.number },
      { token: fx.token },
    );
    expect(response.status, response.text).toBe(202);
    expect(response.body).toMatchObject({
      status: 'requested',
      direction: 'outbound',
      to,
      from: agent.number,
    });
    const callId = response.body.id as string;
    await fx.twilio.waitFor(
      () => [...fx.twilio.calls.values()].some((call) => call.to === to && call.direction === 'outbound-api'),
      15_000,
      `the dialer to create the call to ${to}`,
    );
    const created = [...fx.twilio.calls.values()].filter((call) => call.to === to);
    expect(created).toHaveLength(1);
    return { callId, sid: created[0]?.sid ?? '' };
  }

  async function callById(callId: string): Promise<CallDetailsBody> {
    const response = await fx.api.get(`/v1/calls/${callId}`, { token: fx.token });
    expect(response.status, response.text).toBe(200);
    return response.body as CallDetailsBody;
  }

  it('dials with a stream TwiML and async AMD, greets the callee and settles on status callbacks once', async () => {
    const { callId, sid } = await requestCall(HUMAN);
    const request = fx.twilio.requests.find(
      (entry) =>
        entry.method === 'POST' && entry.path.endsWith('/Calls.json') && single(entry.params, 'To') === HUMAN,
    );
    if (!request) throw new Error('no Create Call request');
    expect(request.status).toBe(201);
    const form = request.params;
    expect(single(form, 'From')).toBe(agent.number);
    expect(single(form, 'MachineDetection')).toBe('Enable');
    expect(single(form, 'AsyncAmd')).toBe('true');
    expect(single(form, 'AsyncAmdStatusCallback')).toBe(`${PUBLIC_BASE_URL}/twilio/amd`);
    // The call's ids ride in the signed callback URL (callbacks can beat the CallSid being stored).
    expect(single(form, 'StatusCallback')).toMatch(
      new RegExp(
        `^${PUBLIC_BASE_URL.replace(/\./g, '\\.')}/twilio/status\\?tenantId=ten_\\w+&callId=cal_\\w+$`,
      ),
    );
    expect(many(form, 'StatusCallbackEvent').sort()).toEqual([
      'answered',
      'completed',
      'initiated',
      'ringing',
    ]);
    expect(single(form, 'Url')).toBeUndefined();
    const twiml = parseTwiml(single(form, 'Twiml') ?? '');
    const stream = childElements(childElements(twiml, 'Connect')[0] ?? twiml, 'Stream')[0];
    expect(stream?.attributes.url).toBe(`wss://${new URL(PUBLIC_BASE_URL).host}/twilio/media`);
    const parameters = parameterRecord(stream ?? twiml);
    expect(parameters).toMatchObject({ callId, tenantId: fx.app.demoTenantId });
    expect(parameters.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(childElements(twiml).map((element) => element.name)).toEqual(['Connect', 'Hangup']);

    // The callee answers; the fake connects the media stream and the agent greets.
    const caller = await fx.twilio.waitForMediaCaller(sid, 15_000);
    await agentFinished(caller);
    expect(caller.customParameters.callId).toBe(callId);
    expect(caller.protocolErrors).toEqual([]);
    const live = await callById(callId);
    expect(live).toMatchObject({ status: 'in_progress', twilioCallSid: sid, direction: 'outbound' });
    expect(live.conversationId).not.toBeNull();

    await fx.twilio.calleeHangup(sid);
    await fx.twilio.waitFor(
      () =>
        fx.twilio.callbacks.some((entry) => entry.callSid === sid && entry.params.CallStatus === 'completed'),
      10_000,
      'the completed status callback',
    );
    const record = await eventually(async () => {
      const current = await callById(callId);
      expect(current.status).toBe('completed');
      expect(current.endReason).toBe('hangup');
      expect(current.durationSeconds).not.toBeNull();
      return current;
    });
    expect(record.turns[0]?.assistantText).toContain('Hello, this is the store calling.');
    const statusCallbacks = fx.twilio.callbacks.filter(
      (entry) => entry.callSid === sid && entry.kind === 'status',
    );
    expect(statusCallbacks.every((entry) => entry.status === 204)).toBe(true);
    expect(fx.twilio.callbacks.find((entry) => entry.callSid === sid && entry.kind === 'amd')?.status).toBe(
      204,
    );

    // Twilio retries a callback: the same SequenceNumber changes nothing.
    const completed = statusCallbacks.find((entry) => entry.params.CallStatus === 'completed');
    if (!completed) throw new Error('no completed callback');
    const events = async () =>
      (
        await fx.app.owner<{ sequence_number: number; status: string }>(
          'select sequence_number, status from call_status_events where call_id = $1 order by sequence_number',
          [callId],
        )
      ).map((row) => `${row.sequence_number}:${row.status}`);
    const before = await events();
    expect(before).toContain(`${completed.params.SequenceNumber}:completed`);
    expect(new Set(before).size).toBe(before.length);
    const replay = await signedWebhook(completed.url, completed.params, fx.twilio.authToken, {
      postTo: `${fx.voice.httpUrl}/twilio/status${new URL(completed.url).search}`,
    });
    expect(replay.status).toBe(204);
    expect(await events()).toEqual(before);
    const after = await callById(callId);
    expect(after.updatedAt).toBe(record.updatedAt);
    expect(after.durationSeconds).toBe(record.durationSeconds);
    expect(fx.twilio.call(sid).errors).toEqual([]);
  }, 90_000);

  it('records a busy callee from its final status callback', async () => {
    const { callId, sid } = await requestCall(BUSY);
    await fx.twilio.waitForCallStatus(sid, 'busy', 15_000);
    await fx.twilio.waitFor(
      () => fx.twilio.callbacks.some((entry) => entry.callSid === sid && entry.params.CallStatus === 'busy'),
      10_000,
      'the busy status callback',
    );
    const record = await eventually(async () => {
      const current = await callById(callId);
      expect(current.status).toBe('busy');
      return current;
    }, 5000);
    expect(record.endReason).toBe('busy');
    expect(fx.twilio.call(sid).mediaCallers).toEqual([]);
  }, 60_000);

  it('hangs up on an answering machine and records the call with end reason machine', async () => {
    const { callId, sid } = await requestCall(MACHINE);
    await fx.twilio.waitForCallStatus(sid, 'completed', 15_000);
    // The node hangs up before it answers the AMD callback, so the callback is recorded after the end.
    await fx.twilio.waitFor(
      () => fx.twilio.callbacks.some((entry) => entry.callSid === sid && entry.kind === 'amd'),
      10_000,
      'the AMD callback',
    );
    const amd = fx.twilio.callbacks.find((entry) => entry.callSid === sid && entry.kind === 'amd');
    expect(amd?.params.AnsweredBy).toBe('machine_start');
    expect(amd?.status).toBe(204);
    const hangup = fx.twilio.updates.find((entry) => entry.callSid === sid);
    expect(hangup?.status).toBe('completed');
    expect(hangup?.httpStatus).toBe(200);
    const record = await eventually(async () => {
      const current = await callById(callId);
      expect(current.status).toBe('completed');
      expect(current.endReason).toBe('machine');
      return current;
    });
    expect(record.twilioCallSid).toBe(sid);
    // Any media stream the machine got is closed.
    for (const caller of fx.twilio.call(sid).mediaCallers) expect(caller.isOpen()).toBe(false);
  }, 60_000);
});
