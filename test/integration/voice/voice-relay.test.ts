import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhook } from '../../support/twilio/fake-twilio.ts';
import {
  childElements,
  parameterRecord,
  parseTwiml,
  textContent,
} from '../../support/twilio/twiml-reader.ts';
import { PUBLIC_BASE_URL } from '../../support/voice-target.ts';
import {
  createVoiceAgent,
  eventually,
  LONG_STATEMENT,
  shortFlow,
  startVoiceFixture,
  type VoiceFixture,
} from './voice-helpers.ts';

/**
 * ConversationRelay: Twilio does the speech, the node exchanges text. A number in
 * `conversation_relay` mode is answered with `<Connect action><ConversationRelay>`; the fake Twilio
 * runs it with a simulated relay session (prompts, interrupts) and fetches the action URL after `end`.
 */
describe('voice calls over ConversationRelay', () => {
  let fx: VoiceFixture;

  beforeAll(async () => {
    fx = await startVoiceFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('streams the greeting as text tokens, answers prompts, cuts an interrupted reply and hands off with <Dial>', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, { flow: shortFlow(), mode: 'conversation_relay' });
    const placed = await fx.twilio.inboundCall({
      voiceUrl: `${PUBLIC_BASE_URL}/twilio/voice`,
      from: '+15555550123',
      to: agent.number,
    });
    const sid = placed.sid;

    // The voice webhook answers <Connect action=…><ConversationRelay url="wss://…/twilio/relay">.
    const answered = fx.twilio.callbacks.find((entry) => entry.callSid === sid && entry.kind === 'voice');
    expect(answered?.status).toBe(200);
    const connect = childElements(parseTwiml(answered?.body ?? ''), 'Connect')[0];
    expect(connect?.attributes.action).toBe(`${PUBLIC_BASE_URL}/twilio/relay-action`);
    const relayNoun = connect ? childElements(connect, 'ConversationRelay')[0] : undefined;
    expect(relayNoun?.attributes.url).toBe(`wss://${new URL(PUBLIC_BASE_URL).host}/twilio/relay`);
    const parameters = relayNoun ? parameterRecord(relayNoun) : {};
    expect(Object.keys(parameters).sort()).toEqual(['callId', 'tenantId', 'token']);
    expect(parameters.tenantId).toBe(fx.app.demoTenantId);

    const caller = await fx.twilio.waitForRelayCaller(sid, 10_000);
    // The greeting: the opening turn's messages as text tokens, closed by `last: true`.
    const greeting = await caller.waitForTalkCycle(1, 15_000);
    expect(greeting.complete).toBe(true);
    expect(greeting.text).toContain('Hello.');
    expect(greeting.text).toContain(LONG_STATEMENT);
    expect(greeting.text).toContain('Shall I connect you with a person?');
    const tokens = caller.messages.filter((entry) => entry.message?.type === 'text');
    const lastToken = tokens[tokens.length - 1]?.message;
    expect(lastToken?.type === 'text' && lastToken.last).toBe(true);
    expect(
      tokens.slice(0, -1).every((entry) => entry.message?.type === 'text' && entry.message.last === false),
    ).toBe(true);

    // The caller talked over the statement: Twilio reports what had been spoken until then.
    const heard = 'Hello. Thanks for calling. Our store is open from nine in the morning';
    caller.interrupt(heard, 2600);
    const record = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.conversationId).not.toBeNull();
      return current;
    });
    const statement = await eventually(async () => {
      const conversation = await fx.conversation(record.conversationId ?? '');
      const message = conversation.messages.find((entry) => entry.nodeId === 'statement');
      expect(message?.metadata.interrupted).toBe(true);
      return message;
    });
    expect(statement?.content).toBe('Thanks for calling. Our store is open from nine in the morning');
    expect(statement?.metadata.spokenText).toBe(LONG_STATEMENT);
    const conversation = await fx.conversation(record.conversationId ?? '');
    expect(conversation.messages.find((entry) => entry.nodeId === 'greet')?.content).toBe('Hello.');

    // A prompt gets a reply: the menu did not understand, so it asks again.
    caller.prompt('tell me more');
    const retry = await caller.waitForTalkCycle(2, 15_000);
    expect(retry.complete).toBe(true);
    expect(retry.text).toBe('Please say yes or no.');

    // "yes" hands off: the reply, then `end` with handoffData (a JSON string) naming the transfer number.
    caller.prompt('yes');
    const handoff = await caller.waitForEnd(15_000);
    expect(caller.talkCycles[2]?.text).toBe('Connecting you.');
    const endMessage = caller.messages.find((entry) => entry.message?.type === 'end');
    const rawHandoff = endMessage?.message?.type === 'end' ? endMessage.message.handoffData : undefined;
    expect(typeof rawHandoff).toBe('string');
    expect(JSON.parse(rawHandoff ?? '{}')).toEqual(handoff.handoffData);
    expect(handoff.handoffData).toMatchObject({
      reasonCode: 'live-agent-handoff',
      transferTo: '+15550100999',
      callId: parameters.callId,
    });
    expect(caller.protocolErrors).toEqual([]);

    // After the session ends Twilio posts the action URL with HandoffData; the node answers <Dial>.
    await fx.twilio.waitFor(
      () => fx.twilio.call(sid).verbs.some((verb) => verb.verb === 'Dial'),
      10_000,
      'the <Dial> from the action URL',
    );
    const action = fx.twilio.callbacks.find((entry) => entry.callSid === sid && entry.kind === 'action');
    expect(action?.status).toBe(200);
    expect(action?.params.HandoffData).toBe(rawHandoff);
    const actionTwiml = parseTwiml(action?.body ?? '');
    expect(childElements(actionTwiml).map((element) => element.name)).toEqual(['Say', 'Dial']);
    const dial = childElements(actionTwiml, 'Dial')[0];
    expect(dial ? textContent(dial) : '').toBe('+15550100999');
    expect(fx.twilio.call(sid).verbs.find((verb) => verb.verb === 'Dial')?.targets).toEqual(['+15550100999']);
    expect(fx.twilio.call(sid).errors).toEqual([]);

    const ended = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.endReason).toBe('transfer');
      return current;
    });
    expect(ended.transferTo).toBe('+15550100999');
    expect(ended.turns.map((turn) => turn.callerText)).toEqual([null, 'tell me more', 'yes']);
    expect(ended.turns[0]?.interrupted).toBe(true);
    expect(ended.turns[0]?.heardText).toBe(heard);
  }, 90_000);

  it('the relay action answers a hang-up without handoff data, and a safe goodbye for bad data', async () => {
    const action = (params: Record<string, string>) =>
      signedWebhook(`${PUBLIC_BASE_URL}/twilio/relay-action`, params, fx.twilio.authToken, {
        postTo: `${fx.voice.httpUrl}/twilio/relay-action`,
      });
    const base = {
      AccountSid: fx.twilio.accountSid,
      CallSid: 'CA00000000000000000000000000000000',
      SessionStatus: 'ended',
    };
    const cases: [Record<string, string>, string[]][] = [
      [base, ['Hangup']],
      [{ ...base, HandoffData: 'not json' }, ['Hangup']],
      [{ ...base, HandoffData: JSON.stringify({ reason: 'done' }) }, ['Hangup']],
      [{ ...base, HandoffData: JSON.stringify({ transferTo: '+15550100999' }) }, ['Say', 'Dial']],
    ];
    for (const [params, verbs] of cases) {
      const response = await action(params);
      expect(response.status).toBe(200);
      const document = parseTwiml(await response.text());
      expect(childElements(document).map((element) => element.name)).toEqual(verbs);
    }
    const forged = await signedWebhook(`${PUBLIC_BASE_URL}/twilio/relay-action`, base, fx.twilio.authToken, {
      postTo: `${fx.voice.httpUrl}/twilio/relay-action`,
      signature: 'bm90IGEgc2lnbmF0dXJl',
    });
    expect(forged.status).toBe(403);
  });
});
