/**
 * ITU-T G.711 μ-law codec for Twilio Media Streams (8 kHz mono, one byte per sample).
 *
 * This runs on every 20 ms frame of every call in both directions, so both directions are a table
 * lookup per sample: decoding reads a 256-entry table; encoding reads a 4096-entry table indexed by
 * the biased magnitude shifted right by 3 (the codec never looks at the low 3 bits of
 * `magnitude + 0x84`, so the table is exact, not an approximation). The tables are built once from
 * the standard segment search (bias 0x84, clip 32635, output bits inverted, so 0xFF is silence).
 */

const BIAS = 0x84;
const CLIP = 32635;

/** Segment (exponent) of a biased magnitude, 0..7: the position of its highest set bit above bit 7. */
function segmentOf(biased: number): number {
  let exponent = 7;
  for (let mask = 0x4000; (biased & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  return exponent;
}

/** Sample value of each μ-law byte (the standard expansion, exactly). */
const DECODE_TABLE = new Int16Array(256);
for (let byte = 0; byte < 256; byte++) {
  const code = ~byte & 0xff;
  const exponent = (code >> 4) & 0x07;
  const mantissa = code & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  DECODE_TABLE[byte] = code & 0x80 ? -magnitude : magnitude;
}

/**
 * Encoded byte of a non-negative sample, indexed by `(min(magnitude, CLIP) + BIAS) >> 3`. The sign
 * bit is 0x80 before inversion, so a negative sample is this entry XOR 0x80.
 */
const ENCODE_TABLE = new Uint8Array(4096);
for (let index = 0; index < 4096; index++) {
  const biased = index << 3;
  const exponent = segmentOf(biased);
  const mantissa = (biased >> (exponent + 3)) & 0x0f;
  ENCODE_TABLE[index] = ~((exponent << 4) | mantissa) & 0xff;
}

/** Decodes μ-law bytes into PCM16 samples written to `dst` (which must be at least as long as `src`). */
export function mulawDecodeInto(src: Uint8Array, dst: Int16Array): void {
  const length = src.length;
  if (dst.length < length) {
    throw new RangeError(`mulawDecodeInto: destination holds ${dst.length} samples, need ${length}`);
  }
  const table = DECODE_TABLE;
  for (let i = 0; i < length; i++) dst[i] = table[src[i] as number] as number;
}

/** Encodes PCM16 samples into μ-law bytes written to `dst` (which must be at least as long as `src`). */
export function mulawEncodeInto(src: Int16Array, dst: Uint8Array): void {
  const length = src.length;
  if (dst.length < length) {
    throw new RangeError(`mulawEncodeInto: destination holds ${dst.length} bytes, need ${length}`);
  }
  const table = ENCODE_TABLE;
  for (let i = 0; i < length; i++) {
    let sample = src[i] as number;
    let sign = 0;
    if (sample < 0) {
      sample = -sample;
      sign = 0x80;
    }
    if (sample > CLIP) sample = CLIP;
    dst[i] = (table[(sample + BIAS) >> 3] as number) ^ sign;
  }
}

/** Decodes μ-law bytes into a new PCM16 array of the same length. */
export function mulawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  mulawDecodeInto(bytes, out);
  return out;
}

/** Encodes PCM16 samples into a new μ-law byte array of the same length. */
export function mulawEncode(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  mulawEncodeInto(pcm, out);
  return out;
}

/** The μ-law byte for digital silence (an encoded 0). */
export const MULAW_SILENCE = 0xff;
