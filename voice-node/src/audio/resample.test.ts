import { describe, expect, it } from 'vitest';
import { createResampler, resampleOnce } from './resample.ts';

function sine(frequency: number, rate: number, seconds: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / rate)),
  );
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

/** Estimated frequency from sign changes (two per period). */
function zeroCrossingHz(samples: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  }
  return (crossings / 2) * (rate / samples.length);
}

/** A deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const PAIRS: [number, number][] = [
  [8000, 16000],
  [16000, 8000],
  [24000, 8000],
  [22050, 8000],
];

describe('resampler', () => {
  it.each(PAIRS)('%i → %i produces ceil(n · to / from) samples', (from, to) => {
    for (const length of [0, 1, 7, 160, 441, 4801]) {
      expect(resampleOnce(new Int16Array(length), from, to).length).toBe(Math.ceil((length * to) / from));
    }
  });

  it('keeps a 440 Hz tone at 24 kHz → 8 kHz: frequency and amplitude', () => {
    const out = resampleOnce(sine(440, 24000, 1, 10000), 24000, 8000);
    const middle = out.subarray(400, 7600);
    expect(zeroCrossingHz(middle, 8000)).toBeGreaterThan(437);
    expect(zeroCrossingHz(middle, 8000)).toBeLessThan(443);
    const amplitude = rms(middle) * Math.SQRT2;
    expect(amplitude).toBeGreaterThan(9000);
    expect(amplitude).toBeLessThan(11000);
  });

  it('keeps a 1 kHz tone at 22.05 kHz → 8 kHz', () => {
    const out = resampleOnce(sine(1000, 22050, 1, 8000), 22050, 8000);
    const middle = out.subarray(400, 7600);
    expect(Math.abs(zeroCrossingHz(middle, 8000) - 1000)).toBeLessThan(4);
    expect(Math.abs(rms(middle) * Math.SQRT2 - 8000)).toBeLessThan(800);
  });

  it.each([
    [24000, 3500],
    [24000, 5000],
    [22050, 3500],
    [22050, 6000],
    [16000, 3600],
  ])('attenuates a tone at %i Hz input, %i Hz, by more than 20 dB on the way to 8 kHz', (from, frequency) => {
    const input = sine(frequency, from, 1, 10000);
    const out = resampleOnce(input, from, 8000);
    const ratio = rms(out.subarray(400, 7600)) / rms(input);
    expect(20 * Math.log10(ratio)).toBeLessThan(-20);
  });

  it('upsamples 8 kHz → 16 kHz in time alignment with the input (delay compensated)', () => {
    const input = sine(300, 8000, 0.5, 12000);
    const out = resampleOnce(input, 8000, 16000);
    // The interpolator is half-band, so the samples that land on input samples are the input itself.
    let worst = 0;
    for (let n = 0; n < input.length; n++) worst = Math.max(worst, Math.abs(out[2 * n]! - input[n]!));
    expect(worst).toBe(0);
    // The interpolated samples sit between their neighbours on a smooth signal.
    const midpoint = (input[1000]! + input[1001]!) / 2;
    expect(Math.abs(out[2001]! - midpoint)).toBeLessThan(150);
  });

  it.each(PAIRS)('%i → %i gives the same output whatever the chunk sizes', (from, to) => {
    const next = random(from + to);
    const signal = Int16Array.from({ length: 5000 }, (_, i) =>
      Math.round(8000 * Math.sin(i / 7) + 6000 * (next() - 0.5)),
    );
    const whole = resampleOnce(signal, from, to);
    for (const sizes of [[1], [0, 3, 1], [160], [441, 17, 2]]) {
      const resampler = createResampler(from, to);
      const parts: Int16Array[] = [];
      let offset = 0;
      for (let k = 0; offset < signal.length; k++) {
        const size = sizes[k % sizes.length]!;
        parts.push(resampler.process(signal.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(resampler.flush());
      expect(concat(parts)).toEqual(whole);
    }
  });

  it('reset drops the history, so the next turn starts from silence', () => {
    const loud = sine(1000, 24000, 0.1, 20000);
    const quiet = new Int16Array(2400);
    const resampler = createResampler(24000, 8000);
    resampler.process(loud);
    resampler.reset();
    const afterReset = concat([resampler.process(quiet), resampler.flush()]);
    expect(afterReset.every((sample) => sample === 0)).toBe(true);
    // Without the reset, the held-back tail of the loud chunk shows up at the start.
    const leaky = createResampler(24000, 8000);
    leaky.process(loud);
    const leaked = leaky.process(quiet);
    expect(Math.max(...Array.from(leaked.subarray(0, 40), Math.abs))).toBeGreaterThan(1000);
  });

  it('flush resets, so the resampler can be reused for the next utterance', () => {
    const signal = sine(500, 16000, 0.2, 9000);
    const resampler = createResampler(16000, 8000);
    const first = concat([resampler.process(signal), resampler.flush()]);
    const second = concat([resampler.process(signal), resampler.flush()]);
    expect(second).toEqual(first);
  });

  it('passes equal rates through and refuses invalid rates', () => {
    const pcm = Int16Array.of(1, -2, 3);
    expect(resampleOnce(pcm, 8000, 8000)).toEqual(pcm);
    expect(() => createResampler(0, 8000)).toThrow(RangeError);
    expect(() => createResampler(8000, 22050.5)).toThrow(/toRate/);
  });
});
