/**
 * The few audio helpers the speech adapters need, kept beside them so the providers depend on nothing
 * else of the voice node: G.711 μ-law encode/decode (lookup tables), a streaming windowed-sinc
 * resampler (24000/22050/16000 → 8000 for vendor audio, 8000 → 16000 for recognizers), a PCM16
 * little-endian reader that survives odd byte splits, and a minimal WAV writer and incremental reader.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

function encodeMulawSlow(sample: number): number {
  let magnitude = sample < 0 ? -sample : sample;
  const sign = sample < 0 ? 0x80 : 0;
  if (magnitude > MULAW_CLIP) magnitude = MULAW_CLIP;
  magnitude += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function decodeMulawSlow(byte: number): number {
  const value = ~byte & 0xff;
  const exponent = (value >> 4) & 0x07;
  const magnitude = ((((value & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return value & 0x80 ? -magnitude : magnitude;
}

/** μ-law byte → linear sample. */
const DECODE_TABLE = Int16Array.from({ length: 256 }, (_, byte) => decodeMulawSlow(byte));
/** (linear sample + 32768) → μ-law byte. */
const ENCODE_TABLE = Uint8Array.from({ length: 65536 }, (_, index) => encodeMulawSlow(index - 32768));

/** Encodes one linear 16-bit sample (clamped, rounded) to a μ-law byte. */
export function encodeMulawSample(sample: number): number {
  const clamped = Math.max(-32768, Math.min(32767, Math.round(sample)));
  return ENCODE_TABLE[clamped + 32768] ?? 0xff;
}

/** Encodes linear 16-bit samples to G.711 μ-law. */
export function encodeMulaw(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let index = 0; index < samples.length; index += 1) {
    out[index] = ENCODE_TABLE[(samples[index] ?? 0) + 32768] ?? 0xff;
  }
  return out;
}

/** Decodes G.711 μ-law to linear 16-bit samples. */
export function decodeMulaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let index = 0; index < bytes.length; index += 1) out[index] = DECODE_TABLE[bytes[index] ?? 0xff] ?? 0;
  return out;
}

/** A streaming resampler: feed chunks in order, then `flush` once for the tail. */
export interface Resampler {
  process(samples: Int16Array): Int16Array;
  /** Emits the remaining output (the input is padded with silence) and ends the stream. */
  flush(): Int16Array;
}

const ZERO_CROSSINGS = 16;
const ROLLOFF = 0.9;

const greatestCommonDivisor = (a: number, b: number): number =>
  b === 0 ? a : greatestCommonDivisor(b, a % b);

/**
 * A polyphase Blackman-windowed sinc resampler between two integer rates. The low-pass sits at 90 % of
 * the lower Nyquist frequency (−6 dB there, flat to 3.4 kHz at 8 kHz), so downsampling does not alias
 * and upsampling does not image. The taps of every phase are computed once; state (the last input
 * samples and the output clock) carries across chunks, so chunk boundaries are inaudible.
 */
export function createResampler(fromRate: number, toRate: number): Resampler {
  if (!(Number.isInteger(fromRate) && Number.isInteger(toRate) && fromRate > 0 && toRate > 0)) {
    throw new RangeError(`invalid resampling ${fromRate} Hz → ${toRate} Hz`);
  }
  const divisor = greatestCommonDivisor(fromRate, toRate);
  const phases = toRate / divisor; // output n sits at input time n * step / phases
  const step = fromRate / divisor;
  const cutoff = 0.5 * Math.min(1, toRate / fromRate) * ROLLOFF; // cycles per input sample
  const halfWidth = ZERO_CROSSINGS / (2 * cutoff); // in input samples
  const reach = Math.ceil(halfWidth);
  const tapCount = 2 * reach + 1; // input offsets -reach .. +reach around floor(time)
  const taps = Array.from({ length: phases }, (_, phase) => {
    const weights = new Float64Array(tapCount);
    let total = 0;
    for (let tap = 0; tap < tapCount; tap += 1) {
      const distance = phase / phases - (tap - reach);
      if (Math.abs(distance) >= halfWidth) continue;
      const argument = 2 * cutoff * distance;
      const sinc = argument === 0 ? 1 : Math.sin(Math.PI * argument) / (Math.PI * argument);
      const u = distance / halfWidth;
      const weight = sinc * (0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u));
      weights[tap] = weight;
      total += weight;
    }
    return weights.map((weight) => weight / total); // unity gain at DC for every phase
  });

  let pending = new Float64Array(0); // input samples from absolute index `pendingStart` on
  let pendingStart = 0;
  let received = 0;
  let produced = 0;

  const render = (padWithSilence: boolean): Int16Array => {
    const out: number[] = [];
    for (;;) {
      const base = Math.floor((produced * step) / phases);
      if (padWithSilence ? produced * step >= received * phases : base + reach >= received) break;
      const weights = taps[produced * step - base * phases] ?? new Float64Array(0);
      const offset = base - reach - pendingStart;
      const last = Math.min(tapCount, pending.length - offset);
      let sum = 0;
      for (let tap = Math.max(0, -offset); tap < last; tap += 1) {
        sum += (pending[offset + tap] ?? 0) * (weights[tap] ?? 0);
      }
      out.push(Math.max(-32768, Math.min(32767, Math.round(sum))));
      produced += 1;
    }
    const keepFrom = Math.max(pendingStart, Math.floor((produced * step) / phases) - reach);
    if (keepFrom > pendingStart) {
      pending = pending.slice(keepFrom - pendingStart);
      pendingStart = keepFrom;
    }
    return Int16Array.from(out);
  };

  return {
    process(samples) {
      const grown = new Float64Array(pending.length + samples.length);
      grown.set(pending);
      grown.set(samples, pending.length);
      pending = grown;
      received += samples.length;
      return render(false);
    },
    flush() {
      return render(true);
    },
  };
}

/** Resamples a whole signal at once. */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  const resampler = createResampler(fromRate, toRate);
  const head = resampler.process(samples);
  const tail = resampler.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Turns a byte stream of little-endian PCM16 into samples, carrying an odd trailing byte over. */
export function createPcm16Reader(): { push(bytes: Uint8Array): Int16Array } {
  let carry: number | undefined;
  return {
    push(bytes) {
      let input = bytes;
      if (carry !== undefined) {
        input = new Uint8Array(bytes.length + 1);
        input[0] = carry;
        input.set(bytes, 1);
      }
      const out = new Int16Array(input.length >> 1);
      for (let index = 0; index < out.length; index += 1) {
        const low = input[index * 2] ?? 0;
        const high = input[index * 2 + 1] ?? 0;
        out[index] = ((high << 24) >> 16) | low;
      }
      carry = input.length % 2 === 1 ? input[input.length - 1] : undefined;
      return out;
    },
  };
}

/** A mono PCM16 WAV file of `samples`. */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let index = 0; index < text.length; index += 1) out[offset + index] = text.charCodeAt(index);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let index = 0; index < samples.length; index += 1)
    view.setInt16(44 + index * 2, samples[index] ?? 0, true);
  return out;
}

/** The format of a WAV stream. */
export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

const MAX_WAV_HEADER_BYTES = 64 * 1024;
/** Sizes that streaming writers (espeak-ng among them) put in the header because they don't know yet. */
const isUnknownSize = (size: number) => size === 0 || size >= 0x7fff0000;

/**
 * Reads a mono PCM16 WAV stream as it arrives: header first (any chunks before `data` are skipped),
 * then samples, honouring the data size unless the writer left it unknown (0, 0xFFFFFFFF, 0x7FFFF000).
 */
export function createWavReader(): {
  push(bytes: Uint8Array): Int16Array;
  readonly format: WavFormat | undefined;
} {
  let header = new Uint8Array(0);
  let format: WavFormat | undefined;
  let inData = false;
  let remaining = Number.POSITIVE_INFINITY;
  const pcm = createPcm16Reader();

  const parseHeader = (): Uint8Array | undefined => {
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const tag = (offset: number) => String.fromCharCode(...header.subarray(offset, offset + 4));
    if (header.length < 12) return undefined;
    if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV stream (no RIFF/WAVE header)');
    let offset = 12;
    while (offset + 8 <= header.length) {
      const id = tag(offset);
      const size = view.getUint32(offset + 4, true);
      if (id === 'data') {
        if (!format) throw new Error('WAV stream has no fmt chunk before its data');
        inData = true;
        remaining = isUnknownSize(size) ? Number.POSITIVE_INFINITY : size;
        return header.subarray(offset + 8);
      }
      if (offset + 8 + size > header.length) return undefined;
      if (id === 'fmt ') {
        const audioFormat = view.getUint16(offset + 8, true);
        format = {
          channels: view.getUint16(offset + 10, true),
          sampleRate: view.getUint32(offset + 12, true),
          bitsPerSample: view.getUint16(offset + 22, true),
        };
        if (
          (audioFormat !== 1 && audioFormat !== 0xfffe) ||
          format.bitsPerSample !== 16 ||
          format.channels !== 1
        ) {
          throw new Error(
            `unsupported WAV format ${audioFormat} with ${format.channels} channel(s) of ${format.bitsPerSample} bits (expected mono PCM16)`,
          );
        }
      }
      offset += 8 + size + (size % 2);
    }
    return undefined;
  };

  return {
    get format() {
      return format;
    },
    push(bytes) {
      let data: Uint8Array = bytes;
      if (!inData) {
        const grown = new Uint8Array(header.length + bytes.length);
        grown.set(header);
        grown.set(bytes, header.length);
        header = grown;
        const rest = parseHeader();
        if (rest === undefined) {
          if (header.length > MAX_WAV_HEADER_BYTES) throw new Error('WAV header too long');
          return new Int16Array(0);
        }
        data = rest;
        header = new Uint8Array(0);
      }
      if (data.length > remaining) data = data.subarray(0, remaining);
      remaining -= data.length;
      return pcm.push(data);
    },
  };
}
