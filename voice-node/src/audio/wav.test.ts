import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createWavStreamParser, downmixToMono, encodeWav, parseWav, WavFormatError } from './wav.ts';

interface BuildOptions {
  riffSize?: number;
  dataSize?: number;
  encoding?: number;
  bits?: number;
  channels?: number;
  sampleRate?: number;
  before?: { id: string; body: Uint8Array }[];
  after?: Uint8Array;
  extensibleSubformat?: number;
}

/** Writes a WAV byte by byte from its fields, independently of encodeWav. */
function buildWav(samples: number[], options: BuildOptions = {}): Uint8Array {
  const bytes: number[] = [];
  const text = (value: string) => bytes.push(...Array.from(value, (c) => c.charCodeAt(0)));
  const le = (value: number, size: number) => {
    for (let i = 0; i < size; i++) bytes.push(Math.floor(value / 256 ** i) % 256);
  };
  const channels = options.channels ?? 1;
  const sampleRate = options.sampleRate ?? 8000;
  const bits = options.bits ?? 16;
  text('RIFF');
  le(options.riffSize ?? 0xffffffff, 4);
  text('WAVE');
  for (const chunk of options.before ?? []) {
    text(chunk.id);
    le(chunk.body.length, 4);
    bytes.push(...chunk.body);
    if (chunk.body.length % 2 === 1) bytes.push(0);
  }
  const extensible = options.extensibleSubformat !== undefined;
  text('fmt ');
  le(extensible ? 40 : 16, 4);
  le(extensible ? 0xfffe : (options.encoding ?? 1), 2);
  le(channels, 2);
  le(sampleRate, 4);
  le((sampleRate * channels * bits) / 8, 4);
  le((channels * bits) / 8, 2);
  le(bits, 2);
  if (extensible) {
    le(22, 2);
    le(bits, 2);
    le(channels === 1 ? 4 : 3, 4);
    le(options.extensibleSubformat ?? 1, 2);
    bytes.push(0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71);
  }
  text('data');
  le(options.dataSize ?? samples.length * 2, 4);
  for (const sample of samples) le(sample & 0xffff, 2);
  if (options.after) bytes.push(...options.after);
  return Uint8Array.from(bytes);
}

const SAMPLES = [0, 1, -1, 32767, -32768, 1234, -4321, 7];

describe('parseWav', () => {
  it('reads what encodeWav writes, including the canonical header fields', () => {
    const samples = Int16Array.from(SAMPLES);
    const bytes = encodeWav(samples, 16000);
    expect(bytes.length).toBe(44 + 16);
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint32(4, true)).toBe(36 + 16);
    expect(view.getUint32(24, true)).toBe(16000);
    expect(view.getUint32(28, true)).toBe(32000);
    expect(view.getUint32(40, true)).toBe(16);
    expect(parseWav(bytes)).toEqual({ sampleRate: 16000, channels: 1, samples });
    expect(parseWav(encodeWav(Int16Array.of(1, 2, 3, 4), 8000, 2)).channels).toBe(2);
  });

  it.each([0xffffffff, 0x7fffffff, 0x7ffff000, 0])(
    'reads to the end when the data size is %i (streaming)',
    (size) => {
      const parsed = parseWav(buildWav(SAMPLES, { riffSize: size, dataSize: size, after: Uint8Array.of(9) }));
      expect(Array.from(parsed.samples)).toEqual(SAMPLES); // the odd trailing byte is not a sample
    },
  );

  it('skips chunks before data (an odd-sized LIST with its pad byte) and stops at the declared size', () => {
    const list = { id: 'LIST', body: Uint8Array.from('INFOISFT\x05\0\0\0espea', (c) => c.charCodeAt(0)) };
    const bytes = buildWav(SAMPLES, {
      before: [list],
      after: Uint8Array.from('junk\x04\0\0\0abcd', (c) => c.charCodeAt(0)),
    });
    expect(Array.from(parseWav(bytes).samples)).toEqual(SAMPLES);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format and refuses a float one', () => {
    expect(Array.from(parseWav(buildWav(SAMPLES, { extensibleSubformat: 1 })).samples)).toEqual(SAMPLES);
    expect(() => parseWav(buildWav(SAMPLES, { extensibleSubformat: 3 }))).toThrow(/IEEE float/);
  });

  it('refuses non-RIFF input and formats other than 16-bit PCM with a WavFormatError', () => {
    const notWav = Uint8Array.from('ID3\x03 this is an mp3', (c) => c.charCodeAt(0));
    expect(() => parseWav(notWav)).toThrow(WavFormatError);
    expect(() => parseWav(notWav)).toThrow(/does not start with "RIFF"/);
    expect(() => parseWav(buildWav(SAMPLES, { encoding: 3, bits: 32 }))).toThrow(/IEEE float, 32-bit/);
    expect(() => parseWav(buildWav(SAMPLES, { bits: 8 }))).toThrow(/PCM, 8-bit/);
    expect(() => parseWav(buildWav(SAMPLES, { encoding: 7, bits: 8 }))).toThrow(/μ-law/);
    expect(() => parseWav(buildWav(SAMPLES).subarray(0, 30))).toThrow(/Truncated/);
  });

  it('parses real espeak-ng --stdout output (streaming sizes, 22.05 kHz)', () => {
    const result = spawnSync('espeak-ng', ['--stdout', 'hello there'], { maxBuffer: 16 << 20 });
    expect(result.status).toBe(0);
    const bytes = new Uint8Array(result.stdout);
    const parsed = parseWav(bytes);
    expect(parsed.sampleRate).toBe(22050);
    expect(parsed.channels).toBe(1);
    expect(parsed.samples.length).toBe((bytes.length - 44) >> 1);
    expect(Math.max(...Array.from(parsed.samples, Math.abs))).toBeGreaterThan(3000);
  });
});

describe('createWavStreamParser', () => {
  it('gives the same samples whatever the chunk boundaries, odd splits included', () => {
    const samples = Array.from({ length: 301 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const list = { id: 'LIST', body: new Uint8Array(13).fill(65) };
    const bytes = buildWav(samples, { before: [list], dataSize: 0xffffffff });
    for (const size of [1, 2, 3, 7, 45, 64, 1000]) {
      const parser = createWavStreamParser();
      const out: number[] = [];
      for (let offset = 0; offset < bytes.length; offset += size) {
        const got = parser.push(bytes.subarray(offset, offset + size));
        if (offset + size <= 12) expect(parser.header()).toBeNull();
        out.push(...got);
      }
      expect(parser.header()).toEqual({ sampleRate: 8000, channels: 1 });
      expect(out).toEqual(samples);
    }
  });

  it('returns each sample once, as soon as both of its bytes have arrived', () => {
    const bytes = buildWav([0x0102, -2]);
    const parser = createWavStreamParser();
    expect(parser.push(bytes.subarray(0, 45)).length).toBe(0);
    expect(Array.from(parser.push(bytes.subarray(45, 47)))).toEqual([0x0102]);
    expect(Array.from(parser.push(bytes.subarray(47)))).toEqual([-2]);
  });

  it('stops at a declared data size and ignores trailing chunks', () => {
    const bytes = buildWav([5, 6], { after: Uint8Array.from('LIST\x02\0\0\0zz', (c) => c.charCodeAt(0)) });
    const parser = createWavStreamParser();
    expect(Array.from(parser.push(bytes))).toEqual([5, 6]);
    expect(parser.push(Uint8Array.of(1, 2, 3, 4)).length).toBe(0);
  });

  it('throws a WavFormatError as soon as the stream cannot be a PCM16 WAV', () => {
    const parser = createWavStreamParser();
    expect(() => parser.push(Uint8Array.from('RIFX', (c) => c.charCodeAt(0)))).toThrow(WavFormatError);
    const float = createWavStreamParser();
    expect(() => float.push(buildWav([1], { encoding: 3, bits: 32 }))).toThrow(/only 16-bit PCM/);
  });
});

describe('downmixToMono', () => {
  it('averages interleaved channels', () => {
    expect(Array.from(downmixToMono(Int16Array.of(100, 300, -50, -150, 1, 2), 2))).toEqual([200, -100, 2]);
    const mono = Int16Array.of(1, 2);
    expect(downmixToMono(mono, 1)).toBe(mono);
  });
});
