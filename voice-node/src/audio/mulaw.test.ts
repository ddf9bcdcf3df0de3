import { describe, expect, it } from 'vitest';
import { MULAW_SILENCE, mulawDecode, mulawDecodeInto, mulawEncode, mulawEncodeInto } from './mulaw.ts';

/** The textbook per-sample encoder (segment from log2, not from a table), written out independently. */
function referenceEncode(input: number): number {
  let sample = input;
  const sign = sample < 0 ? 0x80 : 0;
  if (sign) sample = -sample;
  if (sample > 32635) sample = 32635;
  sample += 0x84;
  const exponent = Math.floor(Math.log2(sample)) - 7;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** The textbook per-byte decoder. */
function referenceDecode(byte: number): number {
  const code = ~byte & 0xff;
  const exponent = (code >> 4) & 7;
  const magnitude = ((((code & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (code & 0x80 ? -magnitude : magnitude) + 0; // + 0 turns -0 into 0, as Int16Array does
}

const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('mulaw', () => {
  it('decodes the known vectors', () => {
    const decoded = mulawDecode(Uint8Array.of(0x00, 0x80, 0x7f, 0xff, 0x0f, 0x8f, 0x70, 0xf0));
    expect(Array.from(decoded)).toEqual([-32124, 32124, 0, 0, -16764, 16764, -120, 120]);
  });

  it('encodes 0 as 0xFF and the extremes into the outermost codes', () => {
    const encoded = mulawEncode(Int16Array.of(0, -1, 32767, -32768, 32635, -32635, 120, -120));
    expect(Array.from(encoded)).toEqual([0xff, 0x7f, 0x80, 0x00, 0x80, 0x00, 0xf0, 0x70]);
    expect(MULAW_SILENCE).toBe(0xff);
  });

  it('matches the reference encoder on every 16-bit sample', () => {
    const encoded = mulawEncode(ALL_SAMPLES);
    let mismatches = 0;
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      if (encoded[i] !== referenceEncode(ALL_SAMPLES[i]!)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('matches the reference decoder on every byte', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = mulawDecode(bytes);
    expect(Array.from(decoded)).toEqual(Array.from(bytes, referenceDecode));
  });

  it('round-trips within half a quantisation step of each segment', () => {
    const decoded = mulawDecode(mulawEncode(ALL_SAMPLES));
    const worstBySegment = new Array<number>(8).fill(0);
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const clipped = Math.max(-32635, Math.min(32635, ALL_SAMPLES[i]!));
      const segment = Math.floor(Math.log2(Math.abs(clipped) + 0x84)) - 7;
      const error = Math.abs(decoded[i]! - clipped);
      worstBySegment[segment] = Math.max(worstBySegment[segment]!, error);
    }
    // Segment s has a step of 2^(s+3) and decodes to the middle of it: the error is at most 2^(s+2).
    expect(worstBySegment).toEqual([4, 8, 16, 32, 64, 128, 256, 512]);
    // Decoding then re-encoding is the identity on every code (except -0, 0x7F, which becomes +0, 0xFF).
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const again = mulawEncode(mulawDecode(bytes));
    const changed = Array.from(bytes).filter((byte) => again[byte] !== byte);
    expect(changed).toEqual([0x7f]);
  });

  it('encodes a silent frame as 0xFF and decodes it back to zeros', () => {
    const frame = mulawEncode(new Int16Array(160));
    expect(frame.every((byte) => byte === 0xff)).toBe(true);
    expect(mulawDecode(frame).every((sample) => sample === 0)).toBe(true);
  });

  it('writes into preallocated buffers and refuses short ones', () => {
    const pcm = new Int16Array(4);
    mulawDecodeInto(Uint8Array.of(0x00, 0x80, 0xff, 0x7f), pcm);
    expect(Array.from(pcm)).toEqual([-32124, 32124, 0, 0]);
    const bytes = new Uint8Array(6).fill(0x55);
    mulawEncodeInto(Int16Array.of(-32124, 32124), bytes);
    expect(Array.from(bytes)).toEqual([0x00, 0x80, 0x55, 0x55, 0x55, 0x55]);
    expect(() => mulawDecodeInto(new Uint8Array(3), new Int16Array(2))).toThrow(RangeError);
    expect(() => mulawEncodeInto(new Int16Array(3), new Uint8Array(2))).toThrow(RangeError);
  });
});
