import { describe, expect, it } from 'vitest';
import {
  clearMessage,
  decodeBase64Payload,
  MAX_MEDIA_PAYLOAD_BYTES,
  markMessage,
  mediaMessage,
  parseMediaMessage,
  parseOutboundMediaMessage,
} from './media-messages.ts';

/** Media Streams frames: parsing every inbound event, refusing malformed ones without throwing, exact outbound shapes. */

const SID = 'MZ00000000000000000000000000000001';
const START = {
  event: 'start',
  sequenceNumber: '1',
  streamSid: SID,
  start: {
    streamSid: SID,
    accountSid: 'AC00000000000000000000000000000001',
    callSid: 'CA00000000000000000000000000000001',
    tracks: ['inbound'],
    customParameters: { tenantId: 't_42', wsToken: 'opaque' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
};
const frame = (payload: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: '3',
    streamSid: SID,
    media: { track: 'inbound', chunk: '2', timestamp: '40', payload },
    ...extra,
  });

function reasonOf(text: string): string {
  const result = parseMediaMessage(text);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.message)}`);
  return result.reason;
}

describe('parseMediaMessage', () => {
  it('parses connected and start, defaulting customParameters', () => {
    expect(parseMediaMessage('{"event":"connected","protocol":"Call","version":"1.0.0"}')).toEqual({
      ok: true,
      message: { event: 'connected', protocol: 'Call', version: '1.0.0' },
    });
    expect(parseMediaMessage(JSON.stringify(START))).toEqual({ ok: true, message: START });
    const { customParameters: _, ...startWithout } = START.start;
    const result = parseMediaMessage(JSON.stringify({ ...START, start: startWithout }));
    expect(result.ok && result.message.event === 'start' && result.message.start.customParameters).toEqual(
      {},
    );
  });

  it('decodes a 160-byte μ-law media payload', () => {
    const bytes = new Uint8Array(160).map((_, index) => index);
    const result = parseMediaMessage(frame(Buffer.from(bytes).toString('base64')));
    if (!result.ok || result.message.event !== 'media') throw new Error('expected media');
    expect(result.message.audio).toBeInstanceOf(Uint8Array);
    expect([...result.message.audio]).toEqual([...bytes]);
    expect(result.message.media).toMatchObject({ track: 'inbound', chunk: '2', timestamp: '40' });
  });

  it('parses dtmf, mark and stop', () => {
    const dtmf = {
      event: 'dtmf',
      sequenceNumber: '57',
      streamSid: SID,
      dtmf: { track: 'inbound_track', digit: '#' },
    };
    const mark = { event: 'mark', sequenceNumber: '88', streamSid: SID, mark: { name: 'g3:item_7:1480' } };
    const stop = {
      event: 'stop',
      sequenceNumber: '412',
      streamSid: SID,
      stop: { accountSid: 'AC1', callSid: 'CA1' },
    };
    for (const message of [dtmf, mark, stop]) {
      expect(parseMediaMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    }
  });

  it('refuses invalid JSON, non-objects, missing or unknown events', () => {
    expect(reasonOf('{"event":')).toBe('invalid JSON');
    expect(reasonOf('[1,2]')).toBe('message is not a JSON object');
    expect(reasonOf('null')).toBe('message is not a JSON object');
    expect(reasonOf('{"sequenceNumber":"1"}')).toBe('missing event');
    expect(reasonOf('{"event":"hello"}')).toBe('unknown event "hello"');
    expect(reasonOf('{"event":"toString"}')).toBe('unknown event "toString"');
    expect(reasonOf('x'.repeat(70_000))).toMatch(/exceeds/);
  });

  it('refuses missing fields and non-string sequence numbers', () => {
    const { callSid: _, ...withoutCall } = START.start;
    expect(reasonOf(JSON.stringify({ ...START, start: withoutCall }))).toMatch(
      /^start message: start\.callSid/,
    );
    expect(reasonOf(JSON.stringify({ ...START, sequenceNumber: 1 }))).toMatch(/sequenceNumber/);
    expect(reasonOf(frame('/w==', { sequenceNumber: 3 }))).toMatch(/sequenceNumber/);
    expect(reasonOf(JSON.stringify({ event: 'media', sequenceNumber: '3', streamSid: SID }))).toMatch(
      /media/,
    );
    expect(
      reasonOf(JSON.stringify({ event: 'mark', sequenceNumber: '3', streamSid: SID, mark: {} })),
    ).toMatch(/mark\.name/);
    expect(
      reasonOf(
        JSON.stringify({
          event: 'dtmf',
          sequenceNumber: '5',
          streamSid: SID,
          dtmf: { track: 'inbound', digit: 'A' },
        }),
      ),
    ).toMatch(/dtmf\.digit/);
    expect(
      reasonOf(
        JSON.stringify({
          ...JSON.parse(frame('/w==')),
          media: { track: 'inbound', chunk: 2, timestamp: '0', payload: '/w==' },
        }),
      ),
    ).toMatch(/chunk/);
  });

  it('refuses payloads that are not strict base64, empty, or over the limit', () => {
    expect(reasonOf(frame('not base64!'))).toBe('media.payload is not valid base64');
    expect(reasonOf(frame('/w='))).toBe('media.payload is not valid base64');
    expect(reasonOf(frame('/w=='.replace('/', '-')))).toBe('media.payload is not valid base64');
    expect(reasonOf(frame(''))).toBe('media.payload is empty');
    const big = Buffer.alloc(MAX_MEDIA_PAYLOAD_BYTES + 3, 0xff).toString('base64');
    expect(reasonOf(frame(big))).toMatch(/exceeds 32768 bytes/);
    const atLimit = Buffer.alloc(MAX_MEDIA_PAYLOAD_BYTES, 0xff).toString('base64');
    expect(parseMediaMessage(frame(atLimit)).ok).toBe(true);
    expect(parseMediaMessage(frame(Buffer.alloc(400).toString('base64')), { maxPayloadBytes: 160 }).ok).toBe(
      false,
    );
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '',
      '"str"',
      '1',
      '{"event":null}',
      '{"event":"start","start":null}',
      '{"event":"media","media":[]}',
    ];
    for (const input of inputs) expect(parseMediaMessage(input).ok).toBe(false);
  });
});

describe('decodeBase64Payload', () => {
  it('round-trips bytes and honours a custom limit', () => {
    const decoded = decodeBase64Payload(Buffer.from([1, 2, 3, 4]).toString('base64'), 4);
    expect(decoded.ok && [...decoded.bytes]).toEqual([1, 2, 3, 4]);
    expect(decodeBase64Payload(Buffer.from([1, 2, 3, 4, 5]).toString('base64'), 4).ok).toBe(false);
  });
});

describe('outbound builders', () => {
  it('builds media, mark and clear in the documented shape', () => {
    expect(JSON.parse(mediaMessage(SID, new Uint8Array([0xff, 0x7f, 0x00])))).toEqual({
      event: 'media',
      streamSid: SID,
      media: { payload: '/38A' },
    });
    expect(JSON.parse(markMessage(SID, 'g1:item:480'))).toEqual({
      event: 'mark',
      streamSid: SID,
      mark: { name: 'g1:item:480' },
    });
    expect(clearMessage(SID)).toBe(`{"event":"clear","streamSid":"${SID}"}`);
  });

  it('encodes a subarray view without leaking neighbouring bytes', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 9]);
    expect(JSON.parse(mediaMessage(SID, backing.subarray(2, 4))).media.payload).toBe(
      Buffer.from([1, 2]).toString('base64'),
    );
  });

  it('parses its own output strictly and refuses loose shapes', () => {
    const parsed = parseOutboundMediaMessage(mediaMessage(SID, new Uint8Array(160).fill(0xff)));
    expect(parsed.ok && parsed.message.event === 'media' && parsed.message.audio.length).toBe(160);
    expect(parseOutboundMediaMessage(markMessage(SID, 'm')).ok).toBe(true);
    expect(parseOutboundMediaMessage(clearMessage(SID)).ok).toBe(true);
    const bareMark = parseOutboundMediaMessage(JSON.stringify({ event: 'mark', streamSid: SID }));
    expect(bareMark.ok).toBe(false);
    const withSequence = parseOutboundMediaMessage(
      JSON.stringify({ event: 'clear', streamSid: SID, sequenceNumber: '4' }),
    );
    expect(withSequence.ok).toBe(false);
    expect(
      parseOutboundMediaMessage(JSON.stringify({ event: 'media', streamSid: SID, media: { payload: '' } }))
        .ok,
    ).toBe(false);
    expect(parseOutboundMediaMessage('{"event":"stop"}').ok).toBe(false);
  });
});
