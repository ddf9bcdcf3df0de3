import { describe, expect, it } from 'vitest';
import {
  createPcm16Reader,
  createResampler,
  createWavReader,
  decodeMulaw,
  encodeMulaw,
  encodeMulawSample,
  encodeWav,
  resample,
} from './codec.ts';

const sine = (frequency: number, rate: number, count: number, amplitude = 10_000) =>
  Int16Array.from({ length: count }, (_, index) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * index) / rate)),
  );

const rms = (samples: ArrayLike<number>, from = 0, to = samples.length) => {
  let sum = 0;
  for (let index = from; index < to; index += 1) sum += (samples[index] ?? 0) ** 2;
  return Math.sqrt(sum / (to - from));
};

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe('μ-law', () => {
  it('matches the G.711 reference points', () => {
    expect(encodeMulawSample(0)).toBe(0xff);
    expect(encodeMulawSample(32767)).toBe(0x80);
    expect(encodeMulawSample(-32768)).toBe(0x00);
    expect(encodeMulawSample(-1)).toBe(0x7f);
    expect(Array.from(decodeMulaw(Uint8Array.of(0xff, 0x7f, 0x80, 0x00, 0xf0)))).toEqual([
      0, 0, 32124, -32124, 120,
    ]);
  });

  it('round-trips within half a quantisation step', () => {
    const samples = Int16Array.from({ length: 9001 }, (_, index) => -31_500 + index * 7);
    const decoded = decodeMulaw(encodeMulaw(samples));
    samples.forEach((sample, index) => {
      const error = Math.abs((decoded[index] ?? 0) - sample);
      expect(error).toBeLessThanOrEqual(Math.abs(sample) / 32 + 4);
    });
  });

  it('re-encodes every decoded code to itself (0x7f, negative zero, becomes 0xff)', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, index) => index);
    const again = encodeMulaw(decodeMulaw(codes));
    codes.forEach((code) => {
      expect(again[code]).toBe(code === 0x7f ? 0xff : code);
    });
  });
});

describe('resampler', () => {
  it.each([
    [24_000, 8000, 440],
    [22_050, 8000, 1000],
    [16_000, 8000, 3000],
    [8000, 16_000, 1000],
  ])('%i → %i keeps a %i Hz tone in phase and level', (fromRate, toRate, frequency) => {
    const output = resample(sine(frequency, fromRate, fromRate), fromRate, toRate);
    expect(output.length).toBe(toRate);
    const ideal = sine(frequency, toRate, toRate);
    const edge = toRate / 100;
    const error = rms(
      output.map((value, index) => value - (ideal[index] ?? 0)),
      edge,
      toRate - edge,
    );
    expect(error / rms(ideal, edge, toRate - edge)).toBeLessThan(0.02);
  });

  it('removes what the lower rate cannot carry instead of aliasing it', () => {
    const aliased = resample(sine(5000, 24_000, 24_000), 24_000, 8000);
    expect(rms(aliased, 100, 7900)).toBeLessThan(70); // −40 dB of the 7071 RMS input
    const imaged = resample(sine(1000, 8000, 8000), 8000, 16_000);
    // The 7 kHz image of a 1 kHz tone: project onto it.
    let dot = 0;
    for (let index = 160; index < 15_840; index += 1) {
      dot += (imaged[index] ?? 0) * Math.sin((2 * Math.PI * 7000 * index) / 16_000);
    }
    expect(Math.abs((2 * dot) / 15_680)).toBeLessThan(50);
  });

  it('streams: any chunking gives the same samples as one call', () => {
    const input = sine(700, 22_050, 22_050);
    const whole = resample(input, 22_050, 8000);
    const resampler = createResampler(22_050, 8000);
    const parts: Int16Array[] = [];
    let offset = 0;
    let size = 1;
    while (offset < input.length) {
      parts.push(resampler.process(input.subarray(offset, offset + size)));
      offset += size;
      size = (size * 7 + 3) % 997;
    }
    parts.push(resampler.flush());
    expect(Array.from(concat(parts))).toEqual(Array.from(whole));
  });
});

describe('PCM16 reader', () => {
  it('joins samples split across chunks at odd byte offsets', () => {
    const samples = Int16Array.of(0, 1, -1, 32767, -32768, 12345, -2);
    const bytes = new Uint8Array(samples.buffer.slice(0));
    const reader = createPcm16Reader();
    const parts = [reader.push(bytes.subarray(0, 3)), reader.push(bytes.subarray(3, 3))];
    parts.push(
      reader.push(bytes.subarray(3, 4)),
      reader.push(bytes.subarray(4, 11)),
      reader.push(bytes.subarray(11)),
    );
    expect(Array.from(concat(parts))).toEqual(Array.from(samples));
  });
});

describe('WAV', () => {
  it('reads what it writes, one byte at a time', () => {
    const samples = sine(300, 16_000, 500);
    const file = encodeWav(samples, 16_000);
    expect(file.length).toBe(44 + 1000);
    const reader = createWavReader();
    const parts: Int16Array[] = [];
    for (const byte of file) parts.push(reader.push(Uint8Array.of(byte)));
    expect(reader.format).toEqual({ sampleRate: 16_000, channels: 1, bitsPerSample: 16 });
    expect(Array.from(concat(parts))).toEqual(Array.from(samples));
  });

  it('skips chunks before data, honours the data size and accepts streaming (unknown) sizes', () => {
    const samples = Int16Array.of(1, 2, 3, 4);
    const file = encodeWav(samples, 22_050);
    const list = Uint8Array.of(0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 9, 9, 9, 0); // "LIST", odd size + pad
    const withList = new Uint8Array(file.length + list.length + 6);
    withList.set(file.subarray(0, 36));
    withList.set(list, 36);
    withList.set(file.subarray(36), 36 + list.length);
    withList.set(Uint8Array.of(7, 7, 7, 7, 7, 7), 36 + list.length + file.length - 36); // trailing junk
    const reader = createWavReader();
    expect(Array.from(reader.push(withList))).toEqual([1, 2, 3, 4]);

    const streaming = file.slice();
    new DataView(streaming.buffer).setUint32(40, 0x7ffff000, true);
    const streamingReader = createWavReader();
    const head = streamingReader.push(streaming);
    const more = streamingReader.push(Uint8Array.of(5, 0, 6, 0));
    expect([...head, ...more]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects what it cannot read', () => {
    expect(() => createWavReader().push(new TextEncoder().encode('ID3\u0004 not a wav file'))).toThrow(
      /not a WAV/,
    );
    const stereo = encodeWav(Int16Array.of(1, 2), 8000);
    new DataView(stereo.buffer).setUint16(22, 2, true);
    expect(() => createWavReader().push(stereo)).toThrow(/mono PCM16/);
  });
});
