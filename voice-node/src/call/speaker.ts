import { createFrameAssembler, type Pacer } from '../audio/index.ts';
import type { TextToSpeech } from '../providers/ports.ts';
import type { PlaybackTracker, SpokenSegment } from './playback.ts';

/** Frames between two marks: a mark every 100 ms bounds how far off the heard position can be. */
const FRAMES_PER_MARK = 5;
const FRAME_MS = 20;
/** Sentences synthesized ahead of the one being sent, so a sentence boundary adds no gap. */
const LOOKAHEAD = 1;

/** Timestamps of one reply, for the latency chain (performance.now() ms). */
export interface ReplyTimings {
  firstText?: number;
  ttsRequested?: number;
  ttsFirstByte?: number;
  firstFrame?: number;
}

interface PendingSegment {
  segment: SpokenSegment;
  chunks: Uint8Array[];
  done: boolean;
  error: unknown;
  wake: (() => void) | null;
  started: boolean;
}

/**
 * Speaks one reply: sentences are synthesized as they arrive (one ahead of the one playing), their
 * μ-law re-framed to 20 ms frames, queued on the pacer with a mark every 100 ms and at each
 * sentence's end. `abort()` stops synthesis at once (barge-in); the pacer's queue is the caller's
 * to clear.
 */
export function createReplySpeaker(options: {
  tts: TextToSpeech;
  pacer: Pacer;
  tracker: PlaybackTracker;
  voice?: string | undefined;
  language?: string | undefined;
  now: () => number;
  timings: ReplyTimings;
  onError: (error: unknown) => void;
}) {
  const controller = new AbortController();
  const queue: PendingSegment[] = [];
  let closed = false;
  let wakeDrain: (() => void) | null = null;
  const assembler = createFrameAssembler(160);

  function startSynthesis(pending: PendingSegment): void {
    if (pending.started) return;
    pending.started = true;
    options.timings.ttsRequested ??= options.now();
    const run = async () => {
      try {
        for await (const chunk of options.tts.synthesize(pending.segment.text, {
          signal: controller.signal,
          ...(options.voice ? { voice: options.voice } : {}),
          ...(options.language ? { language: options.language } : {}),
        })) {
          if (controller.signal.aborted) break;
          options.timings.ttsFirstByte ??= options.now();
          pending.chunks.push(chunk);
          pending.wake?.();
        }
      } catch (error) {
        if (!controller.signal.aborted) pending.error = error;
      } finally {
        pending.done = true;
        pending.wake?.();
      }
    };
    void run();
  }

  async function nextChunk(pending: PendingSegment): Promise<Uint8Array | null> {
    for (;;) {
      const chunk = pending.chunks.shift();
      if (chunk) return chunk;
      if (pending.done || controller.signal.aborted) return null;
      await new Promise<void>((resolve) => {
        pending.wake = resolve;
      });
      pending.wake = null;
    }
  }

  async function drain(): Promise<void> {
    for (;;) {
      if (controller.signal.aborted) return;
      const pending = queue[0];
      if (!pending) {
        if (closed) return;
        await new Promise<void>((resolve) => {
          wakeDrain = resolve;
        });
        wakeDrain = null;
        continue;
      }
      startSynthesis(pending);
      for (let ahead = 1; ahead <= LOOKAHEAD; ahead += 1) {
        const next = queue[ahead];
        if (next) startSynthesis(next);
      }
      let framesSinceMark = 0;
      for (;;) {
        const chunk = await nextChunk(pending);
        if (!chunk || controller.signal.aborted) break;
        for (const frame of assembler.push(chunk)) {
          options.pacer.enqueueAudio(frame);
          framesSinceMark += 1;
          if (framesSinceMark === FRAMES_PER_MARK) {
            options.pacer.enqueueMark(options.tracker.markAfter(pending.segment, framesSinceMark * FRAME_MS));
            framesSinceMark = 0;
          }
        }
      }
      if (controller.signal.aborted) return;
      const tail = assembler.flush(0xff);
      if (tail) {
        options.pacer.enqueueAudio(tail);
        framesSinceMark += 1;
      }
      pending.segment.complete = true;
      options.pacer.enqueueMark(options.tracker.markAfter(pending.segment, framesSinceMark * FRAME_MS));
      if (pending.error) {
        options.onError(pending.error);
        controller.abort();
        return;
      }
      queue.shift();
    }
  }

  const drained = drain();

  return {
    signal: controller.signal,
    /** Queues a sentence of a message to be spoken after those already queued. */
    say(input: { messageId: string; text: string; interruptible: boolean }): void {
      if (closed || controller.signal.aborted) return;
      const text = input.text.trim();
      if (text === '') return;
      options.timings.firstText ??= options.now();
      queue.push({
        segment: options.tracker.addSegment({ ...input, text }),
        chunks: [],
        done: false,
        error: undefined,
        wake: null,
        started: false,
      });
      wakeDrain?.();
    },
    /** No more sentences will come; resolves when everything is queued on the pacer. */
    async finish(): Promise<void> {
      closed = true;
      wakeDrain?.();
      await drained;
    },
    abort(): void {
      closed = true;
      controller.abort();
      for (const pending of queue) pending.wake?.();
      wakeDrain?.();
    },
  };
}

export type ReplySpeaker = ReturnType<typeof createReplySpeaker>;
