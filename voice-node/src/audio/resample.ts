/**
 * Streaming sample-rate conversion for PCM16 mono: TTS engines hand us 16/22.05/24 kHz audio that
 * must become 8 kHz for Twilio, and Twilio's 8 kHz becomes 16 kHz for speech recognition.
 *
 * A rational polyphase FIR resampler (up by L, down by M, L/M = to/from in lowest terms) with a
 * Kaiser-windowed sinc prototype designed for 60 dB of stop-band attenuation:
 * - downsampling passes up to 3/4 of the output Nyquist (3 kHz at 8 kHz, the speech band) and stops
 *   from 7/8 of it (3.5 kHz), so everything that could fold back below Nyquist is 60 dB down;
 * - upsampling passes up to 0.85 of the input Nyquist (3.4 kHz from 8 kHz) and stops the images
 *   from 1.15 of it.
 * Each polyphase branch is normalised to unity DC gain (no ripple between phases). The output is
 * delay-compensated: output sample n is the signal at input time n·M/L, so `process` holds back
 * the filter's look-ahead until more input (or `flush`) arrives. State is only the last K-1 input
 * samples and the phase, so splitting a signal into chunks of any size gives bit-identical output.
 * Filter banks are designed once per rate pair and shared by every call.
 */

/** A stateful resampler for one audio stream. */
export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples the next chunk; returns every output sample whose input is now complete. */
  process(pcm: Int16Array): Int16Array;
  /** Ends the stream: returns the held-back tail (ceil(total input · to/from) samples in all), then resets. */
  flush(): Int16Array;
  /** Drops all history (after a barge-in `clear`, so stale audio never leaks into the next turn). */
  reset(): void;
}

interface FilterBank {
  up: number;
  down: number;
  /** Taps per polyphase branch (odd). */
  taps: number;
  /** Look-ahead in input samples: (taps - 1) / 2. */
  half: number;
  /** Branch-major coefficients, each branch time-reversed so the inner loop walks forward. */
  coefficients: Float64Array;
  /**
   * Per branch, the tap of a branch that is a unit impulse (it lands on input samples and the
   * filter is half-band, as for 8k → 16k: the output is that input sample), or -1.
   */
  passThrough: Int32Array;
}

const STOPBAND_DB = 60;
const banks = new Map<string, FilterBank>();

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 60 && term > sum * 1e-17; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

function designBank(fromRate: number, toRate: number): FilterBank {
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const nyquist = Math.min(fromRate, toRate) / 2;
  const [passHz, stopHz] =
    toRate < fromRate ? [0.75 * nyquist, 0.875 * nyquist] : [0.85 * nyquist, 1.15 * nyquist];
  const prototypeRate = fromRate * up;
  const cutoff = (passHz + stopHz) / 2 / prototypeRate; // cycles per prototype sample
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const length = Math.ceil((STOPBAND_DB - 7.95) / (14.36 * ((stopHz - passHz) / prototypeRate))) + 1;
  const half = Math.max(1, Math.ceil((length - 1) / (2 * up)));
  const taps = 2 * half + 1;
  const center = half * up;
  const prototype = new Float64Array(taps * up); // the last up - 1 entries stay 0
  const windowNorm = besselI0(beta);
  for (let k = 0; k <= 2 * center; k++) {
    const offset = k - center;
    const x = 2 * cutoff * offset;
    const sinc = offset === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const ratio = offset / center;
    prototype[k] = (sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio)))) / windowNorm;
  }
  const coefficients = new Float64Array(taps * up);
  for (let phase = 0; phase < up; phase++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) sum += prototype[phase + j * up] as number;
    for (let j = 0; j < taps; j++) {
      coefficients[phase * taps + (taps - 1 - j)] = (prototype[phase + j * up] as number) / sum;
    }
  }
  const passThrough = new Int32Array(up).fill(-1);
  for (let phase = 0; phase < up; phase++) {
    const branch = coefficients.subarray(phase * taps, (phase + 1) * taps);
    const nonZero = branch.reduce((count, value) => count + (Math.abs(value) > 1e-9 ? 1 : 0), 0);
    const unit = branch.findIndex((value) => Math.abs(value - 1) < 1e-9);
    if (nonZero === 1 && unit >= 0) passThrough[phase] = unit;
  }
  return { up, down, taps, half, coefficients, passThrough };
}

function bankFor(fromRate: number, toRate: number): FilterBank {
  const key = `${fromRate}:${toRate}`;
  let bank = banks.get(key);
  if (!bank) {
    bank = designBank(fromRate, toRate);
    banks.set(key, bank);
  }
  return bank;
}

/**
 * Σ samples[start + t] · coefficients[base + t] for t < taps. Four partial sums break the
 * floating-point add dependency chain (about twice as fast as one accumulator).
 */
function dot(
  samples: Float64Array,
  coefficients: Float64Array,
  start: number,
  base: number,
  taps: number,
): number {
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  let s = start;
  let c = base;
  const end = base + taps;
  for (; c + 3 < end; s += 4, c += 4) {
    acc0 += (samples[s] as number) * (coefficients[c] as number);
    acc1 += (samples[s + 1] as number) * (coefficients[c + 1] as number);
    acc2 += (samples[s + 2] as number) * (coefficients[c + 2] as number);
    acc3 += (samples[s + 3] as number) * (coefficients[c + 3] as number);
  }
  for (; c < end; s++, c++) acc0 += (samples[s] as number) * (coefficients[c] as number);
  return acc0 + acc1 + (acc2 + acc3);
}

/**
 * The same for a symmetric filter of 2·half + 1 taps (integer decimation, where the only branch is
 * the linear-phase prototype): samples equidistant from the centre share a coefficient, which
 * halves the multiplications.
 */
function symmetricDot(
  samples: Float64Array,
  coefficients: Float64Array,
  start: number,
  half: number,
): number {
  const last = start + 2 * half;
  let acc0 = (samples[start + half] as number) * (coefficients[half] as number);
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  let j = 0;
  for (; j + 3 < half; j += 4) {
    acc0 += ((samples[start + j] as number) + (samples[last - j] as number)) * (coefficients[j] as number);
    acc1 +=
      ((samples[start + j + 1] as number) + (samples[last - j - 1] as number)) *
      (coefficients[j + 1] as number);
    acc2 +=
      ((samples[start + j + 2] as number) + (samples[last - j - 2] as number)) *
      (coefficients[j + 2] as number);
    acc3 +=
      ((samples[start + j + 3] as number) + (samples[last - j - 3] as number)) *
      (coefficients[j + 3] as number);
  }
  for (; j < half; j++)
    acc0 += ((samples[start + j] as number) + (samples[last - j] as number)) * (coefficients[j] as number);
  return acc0 + acc1 + (acc2 + acc3);
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0 || rate > 384_000) {
    throw new RangeError(`${name} must be a positive integer sample rate in Hz, got ${rate}`);
  }
}

/** A resampler from `fromRate` to `toRate` (Hz); equal rates pass audio through unchanged. */
export function createResampler(fromRate: number, toRate: number): Resampler {
  checkRate('fromRate', fromRate);
  checkRate('toRate', toRate);
  if (fromRate === toRate) {
    return { fromRate, toRate, process: (pcm) => pcm.slice(), flush: () => new Int16Array(0), reset() {} };
  }
  const { up, down, taps, half, coefficients, passThrough } = bankFor(fromRate, toRate);
  const history = taps - 1;
  const stepIndex = Math.floor(down / up);
  const stepPhase = down % up;
  let buffer = new Float64Array(history + 1024);
  let length = 0;
  /** Buffer index of the newest input the next output reads, and its polyphase branch. */
  let index = 0;
  let phase = 0;
  let totalIn = 0;
  let totalOut = 0;

  function reset(): void {
    buffer.fill(0, 0, history);
    length = history; // K-1 zeros stand for the silence before the stream
    index = history + half;
    phase = 0;
    totalIn = 0;
    totalOut = 0;
  }

  function append(pcm: Int16Array | null, count: number): void {
    if (length + count > buffer.length) {
      const grown = new Float64Array(Math.max(length + count, buffer.length * 2));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    if (pcm) for (let i = 0; i < count; i++) buffer[length + i] = pcm[i] as number;
    else buffer.fill(0, length, length + count);
    length += count;
  }

  function run(limit: number): Int16Array {
    const available =
      index < length ? Math.floor(((length - 1 - index) * up + (up - 1 - phase)) / down) + 1 : 0;
    const count = Math.min(available, limit);
    const out = new Int16Array(count);
    const samples = buffer;
    for (let n = 0; n < count; n++) {
      const through = passThrough[phase] as number;
      const acc =
        through >= 0
          ? (samples[index - history + through] as number)
          : up === 1
            ? symmetricDot(samples, coefficients, index - history, half)
            : dot(samples, coefficients, index - history, phase * taps, taps);
      out[n] = Math.max(-32768, Math.min(32767, Math.round(acc))); // Int16Array would wrap, not clip
      index += stepIndex;
      phase += stepPhase;
      if (phase >= up) {
        phase -= up;
        index++;
      }
    }
    totalOut += count;
    // Drop the samples before the next output's window: no later output reads them.
    const drop = Math.min(length - history, index - history);
    if (drop > 0) {
      buffer.copyWithin(0, drop, length);
      length -= drop;
      index -= drop;
    }
    return out;
  }

  reset();
  return {
    fromRate,
    toRate,
    process(pcm) {
      append(pcm, pcm.length);
      totalIn += pcm.length;
      return run(Number.POSITIVE_INFINITY);
    },
    flush() {
      const target = Math.ceil((totalIn * up) / down);
      append(null, half);
      const tail = run(target - totalOut);
      reset();
      return tail;
    },
    reset,
  };
}

/** Resamples a whole clip in one go (same output as one `process` plus `flush`). */
export function resampleOnce(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  const resampler = createResampler(fromRate, toRate);
  const head = resampler.process(pcm);
  const tail = resampler.flush();
  if (tail.length === 0) return head;
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
