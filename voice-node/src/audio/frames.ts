/**
 * Re-framing of μ-law audio into Twilio's 20 ms media frames.
 *
 * TTS and resampling hand back chunks of any length, but the outbound pacer sends (and Twilio's
 * marks count) whole 160-byte frames of 8 kHz μ-law. The assembler keeps the remainder of a chunk in
 * one preallocated frame-sized buffer until the next chunk completes it; each frame it returns is
 * its own copy, so callers may reuse their input buffers and queue frames for seconds.
 */

/** Bytes per millisecond of 8 kHz μ-law (one byte per sample). */
const MULAW_BYTES_PER_MS = 8;

/** Playing time of `byteLength` bytes of 8 kHz μ-law, in milliseconds. */
export function mulawDurationMs(byteLength: number): number {
  return byteLength / MULAW_BYTES_PER_MS;
}

/** Cuts a byte stream into fixed-size frames. */
export interface FrameAssembler {
  /** Appends bytes; returns every frame they complete, in order. */
  push(bytes: Uint8Array): Uint8Array[];
  /** Returns the incomplete last frame padded with `padByte` (μ-law silence by default), or null. */
  flush(padByte?: number): Uint8Array | null;
  /** Bytes waiting for the rest of their frame. */
  pendingBytes(): number;
  /** Drops the incomplete frame (after a barge-in `clear`). */
  reset(): void;
}

/** An assembler of `frameBytes`-byte frames (160 = 20 ms of 8 kHz μ-law). */
export function createFrameAssembler(frameBytes = 160): FrameAssembler {
  if (!Number.isInteger(frameBytes) || frameBytes < 1) {
    throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
  }
  const partial = new Uint8Array(frameBytes);
  let filled = 0;

  return {
    push(bytes) {
      const frames: Uint8Array[] = [];
      let offset = 0;
      if (filled > 0) {
        const take = Math.min(frameBytes - filled, bytes.length);
        partial.set(bytes.subarray(0, take), filled);
        filled += take;
        offset = take;
        if (filled < frameBytes) return frames;
        frames.push(partial.slice());
        filled = 0;
      }
      for (; offset + frameBytes <= bytes.length; offset += frameBytes) {
        frames.push(bytes.slice(offset, offset + frameBytes));
      }
      if (offset < bytes.length) {
        partial.set(bytes.subarray(offset), 0);
        filled = bytes.length - offset;
      }
      return frames;
    },
    flush(padByte = 0xff) {
      if (filled === 0) return null;
      const frame = partial.slice();
      frame.fill(padByte, filled);
      filled = 0;
      return frame;
    },
    pendingBytes: () => filled,
    reset() {
      filled = 0;
    },
  };
}
