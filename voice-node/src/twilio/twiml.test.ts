import { describe, expect, it } from 'vitest';
import {
  connectStreamTwiml,
  conversationRelayTwiml,
  escapeXmlAttribute,
  escapeXmlText,
  rejectTwiml,
  sayThenHangupTwiml,
  transferTwiml,
} from './twiml.ts';

/** TwiML builders: exact documents, XML escaping, and the refusals that prevent silent call failures. */

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

describe('escaping', () => {
  it('escapes the five XML specials in text and attributes', () => {
    expect(escapeXmlText(`Tom & Jerry's <"show">`)).toBe('Tom &amp; Jerry&apos;s &lt;&quot;show&quot;&gt;');
    expect(escapeXmlAttribute(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });

  it('keeps attribute whitespace as character references and drops characters XML forbids', () => {
    expect(escapeXmlAttribute('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
    expect(escapeXmlText('a\u0000b\u0007c\uFFFEd\uD800e 😀')).toBe('abcde 😀');
    expect(escapeXmlText('line\nbreak')).toBe('line\nbreak');
  });
});

describe('connectStreamTwiml', () => {
  it('builds <Connect><Stream> with parameters, then <Hangup/>', () => {
    expect(
      connectStreamTwiml({
        streamUrl: 'wss://agent.example.com/twilio/media',
        parameters: { tenantId: 't_42', wsToken: 'a&b"c' },
      }),
    ).toBe(
      `${HEAD}<Response><Connect><Stream url="wss://agent.example.com/twilio/media">` +
        '<Parameter name="tenantId" value="t_42"/><Parameter name="wsToken" value="a&amp;b&quot;c"/>' +
        '</Stream></Connect><Hangup/></Response>',
    );
  });

  it('adds name and status callback, and can leave out the hangup', () => {
    expect(
      connectStreamTwiml({
        streamUrl: 'wss://agent.example.com/twilio/media',
        name: "agent's leg",
        parameters: {},
        statusCallback: 'https://agent.example.com/twilio/stream-status',
        statusCallbackMethod: 'POST',
        afterStream: 'none',
      }),
    ).toBe(
      `${HEAD}<Response><Connect><Stream url="wss://agent.example.com/twilio/media" name="agent&apos;s leg" ` +
        'statusCallback="https://agent.example.com/twilio/stream-status" statusCallbackMethod="POST">' +
        '</Stream></Connect></Response>',
    );
  });

  it('refuses non-wss URLs, query strings, fragments and bad callbacks', () => {
    const base = { parameters: {} };
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'ws://agent.example.com/m' })).toThrow(/wss/);
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'https://agent.example.com/m' })).toThrow(/wss/);
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'wss://agent.example.com/m?token=x' })).toThrow(
      /query string/,
    );
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'wss://agent.example.com/m?' })).toThrow(
      /query string/,
    );
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'wss://agent.example.com/m#x' })).toThrow(
      /fragment/,
    );
    expect(() => connectStreamTwiml({ ...base, streamUrl: 'not a url' })).toThrow(/not a valid URL/);
    expect(() =>
      connectStreamTwiml({ ...base, streamUrl: 'wss://a.example/m', statusCallback: 'ftp://a.example/s' }),
    ).toThrow(/http/);
    expect(() => connectStreamTwiml({ streamUrl: 'wss://a.example/m', parameters: { '': 'x' } })).toThrow(
      /names/,
    );
  });
});

describe('conversationRelayTwiml', () => {
  it('builds <Connect action><ConversationRelay> with every attribute in order', () => {
    expect(
      conversationRelayTwiml({
        url: 'wss://agent.example.com/twilio/relay',
        actionUrl: 'https://agent.example.com/twilio/cr-ended?x=1&y=2',
        welcomeGreeting: 'Hi! How can I help <you>?',
        welcomeGreetingInterruptible: 'any',
        language: 'en-US',
        ttsProvider: 'ElevenLabs',
        voice: 'v1',
        transcriptionProvider: 'Deepgram',
        speechModel: 'nova-3-general',
        interruptible: true,
        dtmfDetection: true,
        hints: ['Acme', 'Zorblax'],
        parameters: { tenantId: 't_42' },
      }),
    ).toBe(
      `${HEAD}<Response><Connect action="https://agent.example.com/twilio/cr-ended?x=1&amp;y=2">` +
        '<ConversationRelay url="wss://agent.example.com/twilio/relay" ' +
        'welcomeGreeting="Hi! How can I help &lt;you&gt;?" welcomeGreetingInterruptible="any" language="en-US" ' +
        'ttsProvider="ElevenLabs" voice="v1" transcriptionProvider="Deepgram" speechModel="nova-3-general" ' +
        'interruptible="true" dtmfDetection="true" hints="Acme,Zorblax">' +
        '<Parameter name="tenantId" value="t_42"/></ConversationRelay></Connect></Response>',
    );
  });

  it('omits unset attributes', () => {
    expect(conversationRelayTwiml({ url: 'wss://a.example/r', parameters: {}, interruptible: 'none' })).toBe(
      `${HEAD}<Response><Connect><ConversationRelay url="wss://a.example/r" interruptible="none">` +
        '</ConversationRelay></Connect></Response>',
    );
  });

  it('refuses a non-wss URL, a query string and hints with commas', () => {
    expect(() => conversationRelayTwiml({ url: 'https://a.example/r', parameters: {} })).toThrow(/wss/);
    expect(() => conversationRelayTwiml({ url: 'wss://a.example/r?t=1', parameters: {} })).toThrow(/query/);
    expect(() =>
      conversationRelayTwiml({ url: 'wss://a.example/r', parameters: {}, hints: ['a,b'] }),
    ).toThrow(/commas/);
    expect(() =>
      conversationRelayTwiml({ url: 'wss://a.example/r', parameters: {}, actionUrl: 'javascript:alert(1)' }),
    ).toThrow(/http/);
  });
});

describe('transferTwiml', () => {
  it('says, then dials a number with caller id and timeout', () => {
    expect(
      transferTwiml({
        say: 'Transferring you to Smith & Sons.',
        to: '+15550001111',
        callerId: '+15559870002',
        timeoutSeconds: 20,
      }),
    ).toBe(
      `${HEAD}<Response><Say>Transferring you to Smith &amp; Sons.</Say>` +
        '<Dial callerId="+15559870002" timeout="20"><Number>+15550001111</Number></Dial></Response>',
    );
  });

  it('dials a SIP URI without an announcement', () => {
    expect(transferTwiml({ to: 'sip:queue@pbx.example.com' })).toBe(
      `${HEAD}<Response><Dial><Sip>sip:queue@pbx.example.com</Sip></Dial></Response>`,
    );
  });

  it('refuses bad targets, caller ids and timeouts', () => {
    expect(() => transferTwiml({ to: '5550001111' })).toThrow(/E\.164/);
    expect(() => transferTwiml({ to: '+1555</Number><Play>x' })).toThrow(/E\.164/);
    expect(() => transferTwiml({ to: '+15550001111', callerId: 'bob' })).toThrow(/callerId/);
    expect(() => transferTwiml({ to: '+15550001111', timeoutSeconds: 2 })).toThrow(/timeoutSeconds/);
    expect(() => transferTwiml({ to: '+15550001111', timeoutSeconds: 10.5 })).toThrow(/timeoutSeconds/);
  });
});

describe('sayThenHangupTwiml and rejectTwiml', () => {
  it('says escaped text, then hangs up', () => {
    expect(sayThenHangupTwiml(`We're closed <today>.`, { voice: 'Polly.Joanna', language: 'en-US' })).toBe(
      `${HEAD}<Response><Say voice="Polly.Joanna" language="en-US">We&apos;re closed &lt;today&gt;.</Say>` +
        '<Hangup/></Response>',
    );
  });

  it('rejects with or without a reason', () => {
    expect(rejectTwiml()).toBe(`${HEAD}<Response><Reject/></Response>`);
    expect(rejectTwiml('busy')).toBe(`${HEAD}<Response><Reject reason="busy"/></Response>`);
  });
});
