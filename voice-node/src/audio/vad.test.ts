import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resampleOnce } from './resample.ts';
import {
  createVoiceActivityDetector,
  frameLevelDbfs,
  type VadEvent,
  type VoiceActivityOptions,
} from './vad.ts';
import { parseWav } from './wav.ts';

const RATE = 8000;
const FRAME = 160;

/** RMS amplitude (in sample units) of a level in dBFS, 0 dBFS being a full-scale square wave. */
const rmsOf = (dbfs: number) => 32768 * 10 ** (dbfs / 20);

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A timeline of float samples to which segments are added, then rounded to PCM16. */
function timeline(ms: number): Float64Array {
  return new Float64Array((ms * RATE) / 1000);
}

/** Adds Gaussian white noise at `dbfs` over the whole timeline. */
function addNoise(signal: Float64Array, dbfs: number, seed = 1): void {
  const next = random(seed);
  const sigma = rmsOf(dbfs);
  for (let i = 0; i < signal.length; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    signal[i] = (signal[i] ?? 0) + sigma * gaussian;
  }
}

/** Adds a voiced-like burst (harmonics of 150 Hz up to 900 Hz, falling 3 dB each) at `dbfs` RMS. */
function addVoice(signal: Float64Array, fromMs: number, toMs: number, dbfs = -20): void {
  const harmonics = [1, 2, 3, 4, 5, 6].map((k) => ({ hz: 150 * k, gain: 10 ** ((-3 * (k - 1)) / 20) }));
  const norm = Math.sqrt(harmonics.reduce((sum, h) => sum + (h.gain * h.gain) / 2, 0));
  const scale = rmsOf(dbfs) / norm;
  for (let i = (fromMs * RATE) / 1000; i < (toMs * RATE) / 1000; i++) {
    let value = 0;
    for (const h of harmonics) value += h.gain * Math.sin((2 * Math.PI * h.hz * i) / RATE + h.hz);
    signal[i] = (signal[i] ?? 0) + scale * value;
  }
}

function toPcm(signal: Float64Array): Int16Array {
  return Int16Array.from(signal, (value) => Math.max(-32768, Math.min(32767, Math.round(value))));
}

interface Observed {
  event: VadEvent;
  frameMs: number;
}

function run(pcm: Int16Array, options: VoiceActivityOptions = {}): Observed[] {
  const detector = createVoiceActivityDetector(options);
  const observed: Observed[] = [];
  for (let offset = 0; offset + FRAME <= pcm.length; offset += FRAME) {
    const atMs = (offset / RATE) * 1000;
    const event = detector.process(pcm.subarray(offset, offset + FRAME), atMs);
    if (event) observed.push({ event, frameMs: atMs });
  }
  return observed;
}

describe('frameLevelDbfs', () => {
  it('measures RMS level against full scale, ignoring DC', () => {
    const square = Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 16384 : -16384));
    expect(frameLevelDbfs(square)).toBeCloseTo(-6.02, 1);
    const offsetSquare = Int16Array.from(square, (s) => s + 1000);
    expect(frameLevelDbfs(offsetSquare)).toBeCloseTo(-6.02, 1);
    expect(frameLevelDbfs(new Int16Array(160).fill(5000))).toBe(-100);
    const signal = timeline(20);
    addVoice(signal, 0, 20, -20);
    expect(frameLevelDbfs(toPcm(signal))).toBeCloseTo(-20, 0);
  });
});

describe('createVoiceActivityDetector', () => {
  it('reports nothing for digital silence', () => {
    const detector = createVoiceActivityDetector();
    const frame = new Int16Array(FRAME);
    for (let atMs = 0; atMs < 3000; atMs += 20) expect(detector.process(frame, atMs)).toBeNull();
    expect(detector.state()).toBe('silence');
  });

  it('finds a 500 ms voiced burst: onset at the burst start, end of turn 600 ms after it', () => {
    const signal = timeline(2500);
    addVoice(signal, 300, 800);
    const observed = run(toPcm(signal));
    expect(observed.map((o) => o.event.type)).toEqual(['speech-start', 'speech-end']);
    const [start, end] = observed as [Observed, Observed];
    expect(Math.abs(start.event.atMs - 300)).toBeLessThanOrEqual(20);
    expect(start.frameMs).toBe(340); // confirmed after minSpeechMs (three frames), reported as of 300
    expect(Math.abs(end.event.atMs - 800)).toBeLessThanOrEqual(20);
    expect(Math.abs(end.frameMs + 20 - (end.event.atMs + 600))).toBeLessThanOrEqual(20);
    expect(end.event.type === 'speech-end' && Math.abs(end.event.speechMs - 500)).toBeLessThanOrEqual(20);
  });

  it('ignores steady line noise at -45 dBFS', () => {
    const signal = timeline(5000);
    addNoise(signal, -45);
    expect(run(toPcm(signal))).toEqual([]);
  });

  it('still finds speech over that noise, and stops counting a steady loud hum after one window', () => {
    const noisy = timeline(3000);
    addNoise(noisy, -45, 7);
    addVoice(noisy, 1000, 1500);
    const observed = run(toPcm(noisy));
    expect(observed.map((o) => [o.event.type, o.event.atMs])).toEqual([
      ['speech-start', 1000],
      ['speech-end', 1500],
    ]);
    const hum = timeline(6000);
    addNoise(hum, -60, 3);
    addVoice(hum, 500, 6000, -25);
    const humEvents = run(toPcm(hum));
    expect(humEvents.map((o) => o.event.type)).toEqual(['speech-start', 'speech-end']);
    expect(humEvents[1]!.frameMs).toBeLessThan(500 + 1600 + 600 + 200);
  });

  it('reports the voiced time of a 150 ms burst', () => {
    const signal = timeline(1500);
    addVoice(signal, 200, 350);
    const end = run(toPcm(signal)).find((o) => o.event.type === 'speech-end');
    expect(end?.event.type === 'speech-end' ? end.event.speechMs : -1).toBeGreaterThanOrEqual(140);
    expect(end?.event.type === 'speech-end' ? end.event.speechMs : -1).toBeLessThanOrEqual(170);
  });

  it('does not start on a click shorter than minSpeechMs', () => {
    const signal = timeline(1500);
    addVoice(signal, 200, 240, -10);
    addVoice(signal, 600, 640, -10); // a second click more than the hangover later
    expect(run(toPcm(signal))).toEqual([]);
  });

  it('bridges dropouts shorter than the hangover and keeps one turn across a pause under 600 ms', () => {
    const signal = timeline(3000);
    addVoice(signal, 200, 400);
    addVoice(signal, 500, 700); // 100 ms dropout: bridged
    addVoice(signal, 1100, 1300); // 400 ms pause: same turn, not counted as speech
    const observed = run(toPcm(signal));
    expect(observed.map((o) => o.event.type)).toEqual(['speech-start', 'speech-end']);
    const end = observed[1]!.event;
    expect(end.atMs).toBe(1300);
    expect(end.type === 'speech-end' && end.speechMs).toBe(700);
  });

  it('tracks the current utterance and resets to silence', () => {
    const signal = toPcm(
      (() => {
        const s = timeline(600);
        addVoice(s, 100, 600);
        return s;
      })(),
    );
    const detector = createVoiceActivityDetector();
    for (let offset = 0; offset < signal.length; offset += FRAME) {
      detector.process(signal.subarray(offset, offset + FRAME), (offset / RATE) * 1000);
    }
    expect(detector.state()).toBe('speech');
    expect(detector.currentSpeechMs()).toBe(500);
    expect(detector.noiseFloorDbfs()).toBe(-100);
    detector.reset();
    expect(detector.state()).toBe('silence');
    expect(detector.currentSpeechMs()).toBe(0);
    expect(detector.noiseFloorDbfs()).toBeNull();
  });

  it('detects one utterance with plausible timing in real speech (espeak-ng "hello there")', () => {
    const result = spawnSync('espeak-ng', ['--stdout', 'hello there'], { maxBuffer: 16 << 20 });
    expect(result.status).toBe(0);
    const wav = parseWav(new Uint8Array(result.stdout));
    const speech = resampleOnce(wav.samples, wav.sampleRate, RATE);
    const signal = timeline(500 + Math.ceil((speech.length / RATE) * 1000) + 1500);
    addNoise(signal, -60, 11);
    for (let i = 0; i < speech.length; i++) signal[4000 + i] = (signal[4000 + i] ?? 0) + (speech[i] ?? 0);
    const pcm = toPcm(signal);
    // Where the speech really is: the first and last sample above -30 dBFS peak.
    let first = -1;
    let last = -1;
    for (let i = 0; i < pcm.length; i++) {
      if (Math.abs(pcm[i]!) > 1036) {
        if (first < 0) first = i;
        last = i;
      }
    }
    const firstMs = (first / RATE) * 1000;
    const lastMs = (last / RATE) * 1000;
    const observed = run(pcm);
    expect(observed.map((o) => o.event.type)).toEqual(['speech-start', 'speech-end']);
    const [start, end] = [observed[0]!.event, observed[1]!.event];
    expect(start.atMs).toBeGreaterThanOrEqual(firstMs - 60);
    expect(start.atMs).toBeLessThanOrEqual(firstMs + 60);
    expect(end.atMs).toBeGreaterThanOrEqual(lastMs - 150);
    expect(end.atMs).toBeLessThanOrEqual(lastMs + 60);
    const speechMs = end.type === 'speech-end' ? end.speechMs : 0;
    expect(speechMs).toBeGreaterThan(0.6 * (lastMs - firstMs));
    expect(speechMs).toBeLessThanOrEqual(lastMs - firstMs + 60);
  });
});
