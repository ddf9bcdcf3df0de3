/**
 * PCM16 RIFF/WAVE reading and writing for TTS engines and fixtures.
 *
 * Local TTS (espeak-ng --stdout, Piper) writes WAV to a pipe, so the header cannot carry the real
 * sizes: espeak-ng writes 0x7FFFF000, others 0xFFFFFFFF, 0x7FFFFFFF or 0. A data size that is 0, at
 * least 0x7FFF0000, or larger than the bytes present therefore means "until the end of the stream".
 * Chunks before `data` (LIST, fact, …) are skipped. `createWavStreamParser` decodes such a stream
 * as it arrives in chunks of any size (odd splits included), so audio can be resampled and sent
 * before the engine has finished.
 */

/** Thrown for input that is not a PCM16 RIFF/WAVE stream; the message says what is wrong. */
export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

/** The format of a WAV stream (always 16-bit signed little-endian PCM here). */
export interface WavHeader {
  sampleRate: number;
  channels: number;
}

/** A whole WAV file: interleaved samples when there is more than one channel. */
export interface WavAudio extends WavHeader {
  samples: Int16Array;
}

/** Parses a WAV stream arriving in chunks. */
export interface WavStreamParser {
  /** Feeds the next bytes; returns the samples they completed (none until the header is complete). */
  push(chunk: Uint8Array): Int16Array;
  /** The format, once the header up to the `data` chunk has arrived. */
  header(): WavHeader | null;
}

interface ParsedHeader extends WavHeader {
  dataOffset: number;
  /** Declared data size, or null when the writer did not know it (streaming). */
  dataBytes: number | null;
}

const MAX_HEADER_BYTES = 1 << 20;
const EMPTY = new Int16Array(0);

function ascii(bytes: Uint8Array, offset: number, length = 4): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[offset + i] as number);
  return text;
}

function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
}

function u32(bytes: Uint8Array, offset: number): number {
  return (u16(bytes, offset) + u16(bytes, offset + 2) * 0x10000) >>> 0;
}

/** Reads the header up to the start of the sample data; null while more bytes are needed. */
function readHeader(bytes: Uint8Array): ParsedHeader | null {
  // Refuse as early as the first bytes allow, so a stream parser fails before buffering anything.
  const magic = Math.min(4, bytes.length);
  if (ascii(bytes.subarray(0, magic), 0, magic) !== 'RIFF'.slice(0, magic)) {
    throw new WavFormatError('Not a WAV file: it does not start with "RIFF"');
  }
  if (bytes.length < 12) return null;
  if (ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') {
    throw new WavFormatError('Not a WAV file: expected a "RIFF" header of form "WAVE"');
  }
  let format: WavHeader | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset);
    const size = u32(bytes, offset + 4);
    const body = offset + 8;
    if (id === 'data') {
      if (!format) throw new WavFormatError('Invalid WAV: the "data" chunk comes before "fmt "');
      const unknown = size === 0 || size >= 0x7fff0000;
      return { ...format, dataOffset: body, dataBytes: unknown ? null : size };
    }
    if (id === 'fmt ') {
      if (body + Math.min(size, 26) > bytes.length) return null;
      format = readFormat(bytes, body, size);
    }
    offset = body + size + (size & 1); // chunks are padded to an even length
  }
  return null;
}

function readFormat(bytes: Uint8Array, body: number, size: number): WavHeader {
  if (size < 16) throw new WavFormatError(`Invalid WAV: "fmt " chunk of ${size} bytes`);
  let encoding = u16(bytes, body);
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
  if (encoding === 0xfffe && size >= 40) encoding = u16(bytes, body + 24);
  const channels = u16(bytes, body + 2);
  const sampleRate = u32(bytes, body + 4);
  const bits = u16(bytes, body + 14);
  if (encoding !== 1 || bits !== 16) {
    const name =
      encoding === 1
        ? 'PCM'
        : encoding === 3
          ? 'IEEE float'
          : encoding === 7
            ? 'μ-law'
            : `format ${encoding}`;
    throw new WavFormatError(`Unsupported WAV encoding: ${name}, ${bits}-bit (only 16-bit PCM is supported)`);
  }
  if (channels < 1 || sampleRate < 1) {
    throw new WavFormatError(`Invalid WAV: ${channels} channels at ${sampleRate} Hz`);
  }
  return { sampleRate, channels };
}

/** Decodes little-endian 16-bit samples from `bytes[start, start + 2·count)` into `out` at `at`. */
function decodeInto(bytes: Uint8Array, start: number, count: number, out: Int16Array, at: number): void {
  for (let i = 0; i < count; i++) {
    const offset = start + 2 * i;
    out[at + i] = (((bytes[offset] as number) | ((bytes[offset + 1] as number) << 8)) << 16) >> 16;
  }
}

/** Parses a whole PCM16 WAV file, tolerating streaming sizes and chunks before `data`. */
export function parseWav(bytes: Uint8Array): WavAudio {
  const header = readHeader(bytes);
  if (!header) throw new WavFormatError('Truncated WAV: no complete "fmt " and "data" chunks');
  const available = bytes.length - header.dataOffset;
  const dataBytes = header.dataBytes === null ? available : Math.min(header.dataBytes, available);
  const blockAlign = 2 * header.channels;
  const count = (dataBytes - (dataBytes % blockAlign)) / 2;
  const samples = new Int16Array(count);
  decodeInto(bytes, header.dataOffset, count, samples, 0);
  return { sampleRate: header.sampleRate, channels: header.channels, samples };
}

/** Writes 16-bit PCM samples (interleaved when `channels` > 1) as a canonical 44-byte-header WAV. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const tag = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) out[offset + i] = text.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + 2 * i, samples[i] as number, true);
  return out;
}

/** Averages interleaved channels into one (returns the input itself when it is already mono). */
export function downmixToMono(samples: Int16Array, channels: number): Int16Array {
  if (channels === 1) return samples;
  const frames = Math.floor(samples.length / channels);
  const out = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += samples[frame * channels + channel] as number;
    out[frame] = Math.round(sum / channels);
  }
  return out;
}

/** A parser for a WAV stream read in arbitrary chunks (e.g. a TTS child process's stdout). */
export function createWavStreamParser(): WavStreamParser {
  let headerBytes: Uint8Array = new Uint8Array(0);
  let header: ParsedHeader | null = null;
  let remaining = Number.POSITIVE_INFINITY;
  /** Bytes of an incomplete sample frame carried to the next push (fewer than blockAlign). */
  let carry = new Uint8Array(0);

  function samplesFrom(data: Uint8Array, blockAlign: number): Int16Array {
    const take = Math.min(data.length, remaining);
    remaining -= take;
    let bytes = data.subarray(0, take);
    if (carry.length > 0) {
      const joined = new Uint8Array(carry.length + take);
      joined.set(carry);
      joined.set(bytes, carry.length);
      bytes = joined;
    }
    const usable = bytes.length - (bytes.length % blockAlign);
    carry = bytes.slice(usable);
    if (usable === 0) return EMPTY;
    const out = new Int16Array(usable / 2);
    decodeInto(bytes, 0, out.length, out, 0);
    return out;
  }

  return {
    push(chunk) {
      if (header) return samplesFrom(chunk, 2 * header.channels);
      const joined = new Uint8Array(headerBytes.length + chunk.length);
      joined.set(headerBytes);
      joined.set(chunk, headerBytes.length);
      headerBytes = joined;
      header = readHeader(headerBytes);
      if (!header) {
        if (headerBytes.length > MAX_HEADER_BYTES) {
          throw new WavFormatError(
            `Invalid WAV stream: no "data" chunk in the first ${MAX_HEADER_BYTES} bytes`,
          );
        }
        return EMPTY;
      }
      remaining = header.dataBytes ?? Number.POSITIVE_INFINITY;
      const data = headerBytes.subarray(header.dataOffset);
      headerBytes = new Uint8Array(0);
      return samplesFrom(data, 2 * header.channels);
    },
    header() {
      return header ? { sampleRate: header.sampleRate, channels: header.channels } : null;
    },
  };
}
