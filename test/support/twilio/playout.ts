/**
 * Twilio's outbound playback, modelled exactly enough to test barge-in: audio our server sends is
 * appended to a buffer that plays at real time (8 μ-law bytes per ms) on the caller's clock; a mark
 * falls due when all audio queued before it has played; `clear` drops the unplayed audio and returns
 * every pending mark, which Twilio echoes at once (so an echo after a clear does not mean "heard").
 *
 * The model is computed from timestamps rather than driven by a timer, so "what the caller heard"
 * is exact at any instant, including the partly played segment a clear cut through.
 */

/** μ-law bytes per millisecond at 8 kHz mono. */
export const BYTES_PER_MS = 8;

interface Segment {
  readonly bytes: Uint8Array;
  /** When this segment starts and would end playing, on the caller's clock (ms). */
  readonly start: number;
  readonly end: number;
  /** Set when a clear cut this segment short. */
  cutAt: number | undefined;
}

interface PendingMark {
  readonly name: string;
  readonly due: number;
}

/** The playout buffer of one call. */
export class Playout {
  private readonly segments: Segment[] = [];
  private readonly pending: PendingMark[] = [];
  private freeAt = 0;

  constructor(private readonly now: () => number) {}

  /** Appends audio after what is already queued (or now, if playback was idle). */
  enqueueAudio(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const start = Math.max(this.now(), this.freeAt);
    const end = start + bytes.length / BYTES_PER_MS;
    this.segments.push({ bytes, start, end, cutAt: undefined });
    this.freeAt = end;
  }

  /** Queues a mark behind the audio; returns when it falls due. */
  enqueueMark(name: string): number {
    const due = Math.max(this.now(), this.freeAt);
    this.pending.push({ name, due });
    return due;
  }

  /** Removes and returns the marks whose audio has played, in order. */
  takeDueMarks(): string[] {
    const now = this.now();
    const due: string[] = [];
    while (this.pending.length > 0 && (this.pending[0]?.due ?? Number.POSITIVE_INFINITY) <= now) {
      const mark = this.pending.shift();
      if (mark) due.push(mark.name);
    }
    return due;
  }

  /** When the next pending mark falls due, if any. */
  nextMarkDue(): number | undefined {
    return this.pending[0]?.due;
  }

  /** Drops unplayed audio and returns every pending mark (to echo at once). */
  clear(): string[] {
    const now = this.now();
    for (let index = this.segments.length - 1; index >= 0; index--) {
      const segment = this.segments[index];
      if (segment === undefined || segment.end <= now || segment.cutAt !== undefined) continue;
      if (segment.start >= now) this.segments.splice(index, 1);
      else segment.cutAt = now;
    }
    this.freeAt = Math.min(this.freeAt, now);
    return this.pending.splice(0).map((mark) => mark.name);
  }

  /** Milliseconds of audio still queued to play. */
  bufferedMs(): number {
    return Math.max(0, this.freeAt - this.now());
  }

  /** True when nothing is playing and no mark is pending. */
  idle(): boolean {
    return this.bufferedMs() === 0 && this.pending.length === 0;
  }

  /** The audio the caller has heard so far (played, and not cleared). */
  heard(): Uint8Array {
    const now = this.now();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const segment of this.segments) {
      const stop = Math.min(segment.end, segment.cutAt ?? Number.POSITIVE_INFINITY, now);
      const count =
        stop >= segment.end
          ? segment.bytes.length
          : Math.max(0, Math.min(segment.bytes.length, Math.floor((stop - segment.start) * BYTES_PER_MS)));
      if (count === 0) continue;
      parts.push(segment.bytes.subarray(0, count));
      total += count;
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
