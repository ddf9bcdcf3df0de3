import { describe, expect, it } from 'vitest';
import {
  end,
  language,
  parseRelayMessage,
  parseRelayServerMessage,
  play,
  sendDigits,
  textToken,
} from './relay-messages.ts';

/** ConversationRelay messages: inbound parsing, outbound builders, and the strict shape check the simulator uses. */

const SETUP = {
  type: 'setup',
  sessionId: 'VX00000000000000000000000000000001',
  accountSid: 'AC00000000000000000000000000000001',
  callSid: 'CA00000000000000000000000000000001',
  parentCallSid: '',
  from: '+15551230001',
  to: '+15559870002',
  forwardedFrom: '',
  callerName: '',
  direction: 'inbound',
  callType: 'PSTN',
  callStatus: 'RINGING',
  customParameters: { tenantId: 't_42' },
};

function reasonOf(text: string): string {
  const result = parseRelayMessage(text);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.message)}`);
  return result.reason;
}

describe('parseRelayMessage', () => {
  it('parses every inbound type', () => {
    const messages = [
      SETUP,
      { type: 'prompt', voicePrompt: "What's my balance?", lang: 'en-US', last: true },
      {
        type: 'interrupt',
        utteranceUntilInterrupt: 'Your balance is one hundred',
        durationUntilInterruptMs: 1320,
      },
      { type: 'dtmf', digit: '3' },
      { type: 'error', description: 'Invalid message received: x' },
      { type: 'info', name: 'roundTripDelayMs', value: 312 },
    ];
    for (const message of messages) {
      expect(parseRelayMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    }
  });

  it('defaults customParameters on setup', () => {
    const { customParameters: _, ...bare } = SETUP;
    const result = parseRelayMessage(JSON.stringify(bare));
    expect(result.ok && result.message.type === 'setup' && result.message.customParameters).toEqual({});
  });

  it('refuses bad JSON, unknown types and wrong field types', () => {
    expect(reasonOf('nope')).toBe('invalid JSON');
    expect(reasonOf('{"voicePrompt":"x"}')).toBe('missing type');
    expect(reasonOf('{"type":"text","token":"x","last":true}')).toBe('unknown type "text"');
    expect(reasonOf('{"type":"constructor"}')).toBe('unknown type "constructor"');
    expect(reasonOf('{"type":"prompt","voicePrompt":"x","lang":"en-US","last":"true"}')).toMatch(
      /^prompt message: last/,
    );
    expect(
      reasonOf('{"type":"interrupt","utteranceUntilInterrupt":"x","durationUntilInterruptMs":"5"}'),
    ).toMatch(/durationUntilInterruptMs/);
    expect(reasonOf('{"type":"dtmf","digit":"12"}')).toMatch(/digit/);
    const { callSid: _, ...withoutCall } = SETUP;
    expect(reasonOf(JSON.stringify(withoutCall))).toMatch(/^setup message: callSid/);
  });
});

describe('outbound builders', () => {
  it('builds text tokens with optional flags', () => {
    expect(textToken('Your balance is ', false)).toBe(
      '{"type":"text","token":"Your balance is ","last":false}',
    );
    expect(
      JSON.parse(textToken('$102.50.', true, { interruptible: true, preemptible: false, lang: 'en-US' })),
    ).toEqual({
      type: 'text',
      token: '$102.50.',
      last: true,
      interruptible: true,
      preemptible: false,
      lang: 'en-US',
    });
  });

  it('builds play, sendDigits and language', () => {
    expect(JSON.parse(play('https://cdn.example.com/hold.mp3', { loop: 1, preemptible: false }))).toEqual({
      type: 'play',
      source: 'https://cdn.example.com/hold.mp3',
      loop: 1,
      preemptible: false,
    });
    expect(sendDigits('ww1234#')).toBe('{"type":"sendDigits","digits":"ww1234#"}');
    expect(() => sendDigits('12a')).toThrow(/sendDigits/);
    expect(() => sendDigits('')).toThrow(/sendDigits/);
    expect(language({ ttsLanguage: 'es-ES', transcriptionLanguage: 'es-ES' })).toBe(
      '{"type":"language","ttsLanguage":"es-ES","transcriptionLanguage":"es-ES"}',
    );
    expect(language({ ttsLanguage: 'fr-FR' })).toBe('{"type":"language","ttsLanguage":"fr-FR"}');
    expect(() => language({})).toThrow(/language/);
  });

  it('stringifies handoffData into a string field', () => {
    const message = JSON.parse(end({ reasonCode: 'live-agent-handoff', queue: 'billing' }));
    expect(message).toEqual({
      type: 'end',
      handoffData: '{"reasonCode":"live-agent-handoff","queue":"billing"}',
    });
    expect(typeof message.handoffData).toBe('string');
    expect(end()).toBe('{"type":"end"}');
  });

  it('produces messages the strict server-side parser accepts, and it refuses loose ones', () => {
    for (const text of [
      textToken('hi', true),
      play('https://cdn.example.com/a.mp3'),
      sendDigits('1'),
      language({ transcriptionLanguage: 'de-DE' }),
      end({ a: 1 }),
      end(),
    ]) {
      expect(parseRelayServerMessage(text)).toMatchObject({ ok: true });
    }
    const loose = [
      '{"type":"end","handoffData":{"a":1}}',
      '{"type":"text","token":"x"}',
      '{"type":"text","token":"x","last":true,"extra":1}',
      '{"type":"language"}',
      '{"type":"play","source":"not a url"}',
      '{"type":"setup"}',
    ];
    for (const text of loose) expect(parseRelayServerMessage(text).ok).toBe(false);
  });
});
