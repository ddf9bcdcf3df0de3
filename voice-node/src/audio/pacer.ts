/**
 * The outbound audio pacer: sends 20 ms μ-law frames (and Twilio marks) to a call on an absolute
 * clock instead of as fast as TTS produces them.
 *
 * Twilio buffers and plays whatever it receives. Sending everything at once would make a barge-in
 * `clear` throw away seconds of speech we paid for and delay every mark until the whole buffer has
 * played; sending exactly in real time would underrun on any hiccup. So the pacer keeps the far
 * end a little ahead: it models the playhead (the time at which everything sent so far will have
 * played: `max(now, playhead) + frameMs` per frame) and sends a frame once
 * `playhead - now <= maxLeadMs` (the frame starts playing at most maxLeadMs from now) and no earlier
 * than `frameMs / maxSpeed` after the previous frame's scheduled time. A new utterance therefore
 * goes out at 1.5× real time until 500 ms are buffered, then at exactly one frame per 20 ms.
 *
 * Send times are computed from these rules, not from when a timer happened to fire, so timer
 * lateness is caught up instead of accumulating into gaps. There is one timer per pacer, armed for
 * the next deadline only while something is queued (no interval, nothing when idle).
 */

/** What the pacer hands to `send`, in queue order. */
export type PacerEntry = { kind: 'audio'; payload: Uint8Array } | { kind: 'mark'; name: string };

export interface PacerOptions {
  /** Delivers one entry (e.g. as a Twilio `media` or `mark` message). */
  send(entry: PacerEntry): void;
  /** Duration of one frame; a frame is frameMs · 8 bytes of 8 kHz μ-law. Default 20. */
  frameMs?: number;
  /** How far ahead of the far end's playback a frame may be sent. Default 500. */
  maxLeadMs?: number;
  /** Fastest sending rate as a multiple of real time. Default 1.5. */
  maxSpeed?: number;
  /** The clock in ms. Default performance.now. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  /**
   * Called each time sending empties the queue (not `clear` or `close`): also for a moment when a
   * frame queued on an idle pacer goes out at once, so use marks to learn what has been played.
   */
  onDrained?: () => void;
  /** Called when `send` throws; the pacer closes itself. Without it the error propagates. */
  onError?: (error: unknown) => void;
  /** How many recent jitter samples to keep. Default 3000 (one minute of frames). */
  jitterCapacity?: number;
}

export interface Pacer {
  /** Queues one frame of exactly frameMs · 8 bytes. */
  enqueueAudio(frame: Uint8Array): void;
  /** Queues a mark, sent right after the audio queued before it. */
  enqueueMark(name: string): void;
  /** Drops everything queued (barge-in) and assumes the far end dropped its buffer too. */
  clear(): { droppedFrames: number; droppedMarks: string[] };
  /** Audio queued but not yet sent. */
  queuedMs(): number;
  /** Audio sent but not yet played, by the clock. */
  leadMs(): number;
  sentFrames(): number;
  /** Per sent frame (the most recent jitterCapacity), actual send time minus scheduled time, ms. */
  jitterSamples(): Float64Array;
  /** Stops the pacer: drops the queue, cancels the timer, ignores later entries. */
  close(): void;
}

/** Node timers may fire up to about a millisecond early against performance.now (cached loop time). */
const EARLY_TOLERANCE_MS = 1;

/** A pacer for one call's outbound stream. */
export function createPacer(options: PacerOptions): Pacer {
  const frameMs = options.frameMs ?? 20;
  const maxLeadMs = options.maxLeadMs ?? 500;
  const maxSpeed = options.maxSpeed ?? 1.5;
  const minGapMs = frameMs / maxSpeed;
  const frameBytes = frameMs * 8;
  const now = options.now ?? (() => performance.now());
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((timer: unknown) => clearTimeout(timer as NodeJS.Timeout));
  const jitter = new Float64Array(Math.max(1, Math.floor(options.jitterCapacity ?? 3000)));

  const queue: PacerEntry[] = [];
  let head = 0;
  let queuedFrames = 0;
  let playhead = Number.NEGATIVE_INFINITY;
  let lastScheduled = Number.NEGATIVE_INFINITY;
  /** When the queue last went from empty to non-empty: nothing queued can be due before it. */
  let readyAt = 0;
  let timer: unknown = null;
  let armed = false;
  let pumping = false;
  let closed = false;
  /** Bumped by clear/close so a pump interrupted by them does not report a drain. */
  let generation = 0;
  let sent = 0;

  function disarm(): void {
    if (armed) clearTimer(timer);
    armed = false;
    timer = null;
  }

  function onTimer(): void {
    armed = false;
    timer = null;
    pump();
  }

  function deliver(entry: PacerEntry): boolean {
    try {
      options.send(entry);
      return true;
    } catch (error) {
      close();
      if (!options.onError) throw error;
      options.onError(error);
      return false;
    }
  }

  function pump(): void {
    if (pumping || closed) return;
    pumping = true;
    const started = generation;
    let sentAny = false;
    try {
      while (head < queue.length && generation === started) {
        const entry = queue[head] as PacerEntry;
        if (entry.kind === 'audio') {
          const scheduled = Math.max(lastScheduled + minGapMs, playhead - maxLeadMs, readyAt);
          const at = now();
          if (scheduled > at + EARLY_TOLERANCE_MS) {
            armed = true;
            timer = setTimer(onTimer, Math.ceil(scheduled - at));
            return;
          }
          playhead = Math.max(at, playhead) + frameMs;
          lastScheduled = scheduled;
          jitter[sent % jitter.length] = at - scheduled;
          sent++;
          queuedFrames--;
        }
        head++;
        if (!deliver(entry)) return;
        sentAny = true;
      }
    } finally {
      pumping = false;
    }
    if (generation !== started) {
      // `send` cleared or closed us; anything it queued afterwards still needs a pump.
      if (head < queue.length && !armed) pump();
      return;
    }
    queue.length = 0;
    head = 0;
    if (sentAny) options.onDrained?.();
  }

  function enqueue(entry: PacerEntry): void {
    if (closed) return;
    if (head === queue.length) readyAt = now();
    if (head >= 1024 && head * 2 >= queue.length) {
      queue.splice(0, head); // sent entries of a long utterance, so they can be collected
      head = 0;
    }
    queue.push(entry);
    if (!armed && !pumping) pump();
  }

  function clear(): { droppedFrames: number; droppedMarks: string[] } {
    const droppedMarks: string[] = [];
    for (let i = head; i < queue.length; i++) {
      const entry = queue[i] as PacerEntry;
      if (entry.kind === 'mark') droppedMarks.push(entry.name);
    }
    const droppedFrames = queuedFrames;
    disarm();
    queue.length = 0;
    head = 0;
    queuedFrames = 0;
    generation++;
    playhead = now();
    lastScheduled = Number.NEGATIVE_INFINITY;
    return { droppedFrames, droppedMarks };
  }

  function close(): void {
    clear();
    closed = true;
  }

  return {
    enqueueAudio(frame) {
      if (frame.length !== frameBytes) {
        throw new RangeError(`Pacer frames are ${frameBytes} bytes (${frameMs} ms), got ${frame.length}`);
      }
      if (closed) return;
      queuedFrames++;
      enqueue({ kind: 'audio', payload: frame });
    },
    enqueueMark(name) {
      enqueue({ kind: 'mark', name });
    },
    clear,
    queuedMs: () => queuedFrames * frameMs,
    leadMs: () => Math.max(0, playhead - now()),
    sentFrames: () => sent,
    jitterSamples() {
      const count = Math.min(sent, jitter.length);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = jitter[(sent - count + i) % jitter.length] as number;
      return out;
    },
    close,
  };
}
