import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speech } from '../../support/voice-target.ts';
import {
  agentFinished,
  audioMs,
  createVoiceAgent,
  eventually,
  menuFlow,
  shortFlow,
  startVoiceFixture,
  type VoiceFixture,
} from './voice-helpers.ts';

/**
 * What the caller hears and says during a call: backchannels that must not interrupt, speech that
 * may not interrupt, DTMF and transfers — real audio (espeak-ng out, pocketsphinx in) through the
 * simulated Twilio, the real voice node and the platform on Postgres.
 */

const STATEMENT =
  'Our store is open from nine in the morning until nine at night, every day of the week. ' +
  'Deliveries usually arrive within three business days.';

const LEGAL =
  'This call may be recorded for quality and training purposes. ' +
  'By staying on the line you agree to our terms of service and our privacy policy, ' +
  'which are both available on our website.';

const MENU_NODES = (shortFlow().nodes as { id: string }[]).filter((node) =>
  ['menu', 'decide', 'human', 'bye'].includes(node.id),
);

/** `first` (a message node) → the short flow's menu. */
function messageThenMenu(first: Record<string, unknown>): Record<string, unknown> {
  return { start: 'first', nodes: [{ id: 'first', type: 'message', next: 'menu', ...first }, ...MENU_NODES] };
}

describe('voice conversations: backchannels, uninterruptible speech, DTMF, transfer', () => {
  let fx: VoiceFixture;

  beforeAll(async () => {
    fx = await startVoiceFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('a short "okay" over the statement is a backchannel: no clear, heard in full, nothing truncated', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, {
      flow: messageThenMenu({ text: STATEMENT }),
      voice: { bargeIn: { minSpeechMs: 600 } },
    });
    const okay = await speech('okay', { rate: 200 });
    const statementMs = audioMs(await speech(STATEMENT, { rate: 165 }));
    expect(audioMs(okay)).toBeLessThan(700);
    const backchannelsBefore = await fx.metric('lumay_voice_backchannels_total');
    const { caller, sid } = await fx.call(agent.number);
    await caller.waitFor(() => audioMs(caller.heardAudio()) > 1500, 30_000, 'statement playing');
    caller.sendAudio(okay);
    await caller.audioSent();
    // The utterance ends (end-of-turn silence) while the statement still plays: dropped as a backchannel.
    await eventually(async () =>
      expect(await fx.metric('lumay_voice_backchannels_total')).toBeGreaterThan(backchannelsBefore),
    );
    expect(audioMs(caller.heardAudio()), 'the statement was still playing').toBeLessThan(statementMs - 1000);
    await caller.playbackIdle(60_000);
    expect(caller.clears).toEqual([]);
    expect(caller.markEchoes.filter((echo) => echo.cleared)).toEqual([]);
    // Everything sent was heard: the statement and the menu prompt after it.
    expect(caller.heardAudio().length).toBe(caller.receivedAudio().length);
    expect(audioMs(caller.heardAudio())).toBeGreaterThan(6000);
    expect(caller.protocolErrors).toEqual([]);
    await caller.hangup();

    const record = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.endReason).toBe('hangup');
      return current;
    });
    expect(record.turns.length).toBeGreaterThanOrEqual(1);
    expect(record.turns.filter((turn) => turn.interrupted)).toEqual([]);
    expect(record.turns.some((turn) => turn.callerText !== null)).toBe(false);
    const opening = record.turns[0];
    expect(opening?.assistantText).toContain(STATEMENT);
    expect(opening?.heardText).toBe(opening?.assistantText);
    const conversation = await fx.conversation(record.conversationId ?? '');
    const statement = conversation.messages.find((message) => message.nodeId === 'first');
    expect(statement?.content).toBe(STATEMENT);
    expect(statement?.metadata.interrupted).toBeUndefined();
    expect(conversation.messages.filter((message) => message.role === 'user')).toEqual([]);
  }, 90_000);

  it('speech over an interruptible: false node does not clear it: the notice is heard in full', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, {
      flow: messageThenMenu({ text: LEGAL, interruptible: false }),
      voice: { bargeIn: { minSpeechMs: 200 } },
    });
    const talk = await speech('no no, stop, tell me more about deliveries please');
    // About how long the agent's espeak-ng (165 words a minute) takes to say the notice.
    const noticeMs = audioMs(await speech(LEGAL, { rate: 165 }));
    const { caller, sid } = await fx.call(agent.number);
    await caller.waitFor(() => audioMs(caller.heardAudio()) > 800, 30_000, 'notice playing');
    caller.sendAudio(talk);
    await caller.audioSent();
    expect(audioMs(caller.heardAudio()), 'the notice was still playing when the caller stopped').toBeLessThan(
      noticeMs - 1500,
    );
    // The whole notice plays (the menu prompt after it need not be waited for).
    await caller.waitFor(
      () => audioMs(caller.heardAudio()) > noticeMs + 300,
      60_000,
      'the notice to play out',
    );
    expect(caller.clears).toEqual([]);
    expect(caller.markEchoes.filter((echo) => echo.cleared)).toEqual([]);
    await caller.hangup();

    const record = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.endReason).toBe('hangup');
      return current;
    });
    expect(record.turns.filter((turn) => turn.interrupted)).toEqual([]);
    expect(record.turns[0]?.heardText).toBe(record.turns[0]?.assistantText);
    const conversation = await fx.conversation(record.conversationId ?? '');
    const notice = conversation.messages.find((message) => message.nodeId === 'first');
    expect(notice?.content).toBe(LEGAL);
    expect(notice?.metadata.interrupted).toBeUndefined();
  }, 90_000);

  it('DTMF keys interrupt the prompt and are collected until #: the slot holds 42', async () => {
    const prompt =
      'Please enter your two digit code on the keypad, then press the pound key. ' +
      'If you do not know your code, please stay on the line.';
    const agent = await createVoiceAgent(fx.api, fx.token, {
      flow: {
        start: 'ask',
        nodes: [
          {
            id: 'ask',
            type: 'collect',
            slot: 'code',
            valueType: 'regex',
            pattern: '^[0-9]{2}$',
            prompt,
            retryPrompt: 'Please enter two digits.',
            maxAttempts: 3,
            next: 'confirm',
            onFail: 'bye',
          },
          { id: 'confirm', type: 'message', text: 'Your code is {{slots.code}}.', next: 'bye' },
          { id: 'bye', type: 'end', message: 'Goodbye.' },
        ],
      },
    });
    const { caller, sid } = await fx.call(agent.number);
    await caller.waitFor(() => audioMs(caller.heardAudio()) > 1000, 30_000, 'prompt playing');
    caller.sendDtmf('4');
    await caller.waitFor(() => caller.clears.length > 0, 5000, 'clear after the first key');
    const heardAtClear = audioMs(caller.heardAudio());
    caller.sendDtmf('2');
    caller.sendDtmf('#');
    // "Your code is 42. Goodbye." then the agent ends the call.
    const closed = await caller.closed;
    expect(closed.by).toBe('server');
    expect(caller.clears).toHaveLength(1);
    expect(audioMs(caller.heardAudio())).toBeGreaterThan(heardAtClear + 1000);
    expect(caller.protocolErrors).toEqual([]);

    const record = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.endReason).toBe('completed');
      expect(current.turns.length).toBeGreaterThanOrEqual(2);
      return current;
    });
    const [opening, digits] = record.turns;
    expect(opening?.interrupted).toBe(true);
    expect((opening?.heardText ?? '').length).toBeLessThan(prompt.length);
    expect(digits?.callerText).toBe('DTMF 42');
    expect(digits?.assistantText).toContain('Your code is 42.');
    expect(digits?.interrupted).toBe(false);
    const conversation = await fx.conversation(record.conversationId ?? '');
    const asked = conversation.messages.find(
      (message) => message.nodeId === 'ask' && message.role === 'assistant',
    );
    expect(asked?.metadata.interrupted).toBe(true);
    expect(prompt.startsWith(asked?.content ?? 'x')).toBe(true);
    expect(conversation.messages.map((message) => message.content)).toContain('Your code is 42.');
    const slots = await fx.app.owner<{ code: unknown }>(
      "select state->'slots'->'code' as code from conversations where id = $1",
      [record.conversationId],
    );
    expect(slots[0]?.code).toBe('42');
  }, 90_000);

  it('"yes" at the menu hands off: Twilio gets <Say> + <Dial>, the call is a transfer, escalated', async () => {
    const agent = await createVoiceAgent(fx.api, fx.token, { flow: menuFlow() });
    const yes = await speech('yes');
    const { caller, sid } = await fx.call(agent.number);
    await agentFinished(caller);
    caller.sendAudio(yes);
    await fx.twilio.waitFor(
      () => fx.twilio.updates.some((update) => update.callSid === sid),
      30_000,
      'the transfer update',
    );
    const update = fx.twilio.updates.find((entry) => entry.callSid === sid);
    expect(update?.httpStatus).toBe(200);
    expect(update?.twiml).toMatch(/<Say[^>]*>[^<]+<\/Say>/);
    expect(update?.twiml).toMatch(/<Dial[^>]*>(<Number>)?\+15550100999(<\/Number>)?<\/Dial>/);
    // Replacing the TwiML ends the stream (stop, close) and runs <Say><Dial>.
    await caller.closed;
    await fx.twilio.waitFor(
      () => fx.twilio.call(sid).verbs.some((verb) => verb.verb === 'Dial'),
      10_000,
      'the <Dial> to run',
    );
    const dial = fx.twilio.call(sid).verbs.find((verb) => verb.verb === 'Dial');
    expect(dial?.targets).toEqual(['+15550100999']);
    expect(fx.twilio.call(sid).errors).toEqual([]);
    // The caller heard "Connecting you." before the transfer.
    expect(caller.clears).toEqual([]);

    const record = await eventually(async () => {
      const current = await fx.record(sid);
      expect(current.endReason).toBe('transfer');
      return current;
    });
    expect(record.status).toBe('completed');
    expect(record.transferTo).toBe('+15550100999');
    expect(record.summary).toMatch(/yes/i);
    expect(record.turns.some((turn) => turn.callerText === 'yes')).toBe(true);
    const conversation = await eventually(async () => {
      const current = await fx.conversation(record.conversationId ?? '');
      expect(current.outcome).toBe('escalated');
      return current;
    });
    expect(conversation.messages.map((message) => message.content)).toContain('Connecting you.');
  }, 90_000);
});
