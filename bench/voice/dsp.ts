/**
 * bench/voice/dsp: CPU cost of the voice node's per-frame audio work, in ns per 20 ms frame, against
 * a baseline measured in the same run (copying the 160-byte frame), and the share of one core a
 * call spends on it (a 20 ms frame arrives every 20 ms in each direction).
 *
 *   npx tsx bench/voice/dsp.ts
 *   DSP_BENCH_MS=500 npx tsx bench/voice/dsp.ts   (longer rounds, steadier figures)
 */
import { cpus, loadavg } from 'node:os';
import {
  createResampler,
  createVoiceActivityDetector,
  mulawDecodeInto,
  mulawEncode,
  mulawEncodeInto,
} from '../../voice-node/src/audio/index.ts';

const FRAME_MS = 20;
const ROUND_MS = Number(process.env.DSP_BENCH_MS ?? 150);
const ROUNDS = 7;

/** Something every measured function feeds, printed at the end, so no work can be optimised away. */
let sink = 0;

/** A speech-like signal: harmonics of 140 Hz with a 4 Hz syllable envelope, plus a little noise. */
function speechLike(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  let seed = 12345;
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    let value = 0;
    for (let k = 1; k <= 8; k++) value += Math.sin(2 * Math.PI * 140 * k * t + k) / k;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = Math.round(5000 * envelope * value + ((seed / 0x7fffffff) * 2 - 1) * 200);
  }
  return out;
}

/** Calls `fn` `iterations` times; returns the elapsed ns. */
function time(fn: (i: number) => void, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - start);
}

/** Iterations of `fn` that take about ROUND_MS, after warming it up (and letting V8 optimise it). */
function calibrate(fn: (i: number) => void): number {
  let iterations = 1000;
  while (time(fn, iterations) < 20e6) iterations *= 2;
  return Math.max(1000, Math.round((iterations * ROUND_MS * 1e6) / time(fn, iterations)));
}

const seconds = 2;
const pcm8k = speechLike(8000, 8000 * seconds);
const pcm16k = speechLike(16000, 16000 * seconds);
const pcm24k = speechLike(24000, 24000 * seconds);
const pcm22k = speechLike(22050, 22050 * seconds);
const mulaw8k = mulawEncode(pcm8k);
const frames = (8000 * seconds) / 160;

const copyTarget = new Uint8Array(160);
const decodeTarget = new Int16Array(160);
const encodeTarget = new Uint8Array(160);

/** A resampler fed one frame of `source` (20 ms at its rate) per call, looping over the clip. */
function streamFrames(source: Int16Array, fromRate: number, toRate: number): (i: number) => void {
  const resampler = createResampler(fromRate, toRate);
  const perFrame = Math.round((fromRate * FRAME_MS) / 1000);
  const count = Math.floor(source.length / perFrame);
  return (i) => {
    const offset = (i % count) * perFrame;
    const out = resampler.process(source.subarray(offset, offset + perFrame));
    sink += out.length;
  };
}

const vad = createVoiceActivityDetector();
const cases: { name: string; run: (i: number) => void; path?: 'inbound' | 'outbound' }[] = [
  {
    name: 'baseline: copy a 160-byte frame',
    run: (i) => {
      const offset = (i % frames) * 160;
      copyTarget.set(mulaw8k.subarray(offset, offset + 160));
      sink += copyTarget[i & 127] as number;
    },
  },
  {
    name: 'μ-law decode (160 bytes → PCM16)',
    path: 'inbound',
    run: (i) => {
      const offset = (i % frames) * 160;
      mulawDecodeInto(mulaw8k.subarray(offset, offset + 160), decodeTarget);
      sink += decodeTarget[i & 127] as number;
    },
  },
  {
    name: 'μ-law encode (PCM16 → 160 bytes)',
    path: 'outbound',
    run: (i) => {
      const offset = (i % frames) * 160;
      mulawEncodeInto(pcm8k.subarray(offset, offset + 160), encodeTarget);
      sink += encodeTarget[i & 127] as number;
    },
  },
  { name: 'resample 8k → 16k (to STT)', path: 'inbound', run: streamFrames(pcm8k, 8000, 16000) },
  { name: 'resample 16k → 8k', run: streamFrames(pcm16k, 16000, 8000) },
  { name: 'resample 24k → 8k (from TTS)', path: 'outbound', run: streamFrames(pcm24k, 24000, 8000) },
  { name: 'resample 22.05k → 8k', run: streamFrames(pcm22k, 22050, 8000) },
  {
    name: 'VAD (one 20 ms frame)',
    path: 'inbound',
    run: (i) => {
      const offset = (i % frames) * 160;
      const event = vad.process(pcm8k.subarray(offset, offset + 160), i * FRAME_MS);
      if (event) sink += event.atMs;
    },
  },
];

const FRAME_NS = FRAME_MS * 1e6;
// Rounds are interleaved (every case once per round), so a burst of load elsewhere on the machine
// hits all cases alike instead of skewing one against the baseline.
const sized = cases.map((c) => ({ ...c, iterations: calibrate(c.run), samples: [] as number[] }));
for (let round = 0; round < ROUNDS; round++) {
  for (const c of sized) c.samples.push(time(c.run, c.iterations) / c.iterations);
}
const results = sized.map((c) => {
  const sorted = [...c.samples].sort((a, b) => a - b);
  return { ...c, ns: sorted[Math.floor(ROUNDS / 2)] as number, best: sorted[0] as number };
});
const baseline = results[0]?.ns ?? 1;
const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 0) => value.toFixed(digits).padStart(9);

const percent = (ns: number) => `${((100 * ns) / FRAME_NS).toFixed(4)}%`.padStart(9);

console.log(
  `bench/voice/dsp — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `load average ${loadavg()[0]?.toFixed(2)}; median (and best) of ${ROUNDS} interleaved rounds`,
);
console.log('');
console.log(`${pad('per 20 ms frame', 34)}  ns median   ns best  × baseline  share of one core per call`);
for (const r of results) {
  console.log(`${pad(r.name, 34)} ${num(r.ns)} ${num(r.best)} ${num(r.ns / baseline, 1)}x ${percent(r.ns)}`);
}
const total = (path: 'inbound' | 'outbound') =>
  results.filter((r) => r.path === path).reduce((sum, r) => sum + r.ns, 0);
const inbound = total('inbound');
const outbound = total('outbound');
console.log('');
console.log(
  `${pad('call inbound: decode + VAD + 8k→16k', 34)} ${num(inbound)} ns/frame  ${percent(inbound)}`,
);
console.log(`${pad('call outbound: 24k→8k + encode', 34)} ${num(outbound)} ns/frame  ${percent(outbound)}`);
const both = inbound + outbound;
console.log(
  `${pad('both directions at once', 34)} ${num(both)} ns/frame  ${percent(both)}` +
    `  → DSP alone: ≈ ${Math.floor(FRAME_NS / both)} calls per core`,
);
console.log(`(checksum ${sink})`);
