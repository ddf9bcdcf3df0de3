/**
 * What the caller has heard. Outbound speech is a sequence of segments (sentences of assistant
 * messages) whose μ-law frames go to Twilio with a `mark` after every few frames and at each segment's
 * end. Twilio echoes a mark once the audio queued before it has *played*, so the last echoed mark is
 * the caller's position. Mark names encode generation, segment and position (`g3:s7:480`): after a
 * `clear`, Twilio echoes every pending mark at once, so marks of a cleared generation are ignored and
 * only marks echoed before the clear count as heard (PROTOCOLS.md §1.5).
 */

/** One sentence of an assistant message being spoken. */
export interface SpokenSegment {
  readonly index: number;
  readonly generation: number;
  readonly messageId: string;
  readonly text: string;
  readonly interruptible: boolean;
  /** Audio enqueued for this segment so far, in ms. */
  audioMs: number;
  /** True once synthesis finished, so `audioMs` is the segment's full length. */
  complete: boolean;
}

/** The heard part of one assistant message after a barge-in. */
export interface HeardMessage {
  messageId: string;
  spokenText: string;
  heardText: string;
}

/** Speaking rate assumed for a segment whose synthesis had not finished (ms of audio per character). */
const ESTIMATED_MS_PER_CHAR = 65;

export function markName(generation: number, segment: number, positionMs: number): string {
  return `g${generation}:s${segment}:${positionMs}`;
}

export function parseMarkName(
  name: string,
): { generation: number; segment: number; positionMs: number } | null {
  const match = /^g(\d{1,9}):s(\d{1,9}):(\d{1,9})$/.exec(name);
  if (!match) return null;
  return { generation: Number(match[1]), segment: Number(match[2]), positionMs: Number(match[3]) };
}

/** Cuts `text` to about `fraction` of its length, back to a word boundary. */
export function cutAtWord(text: string, fraction: number): string {
  if (fraction >= 1) return text;
  if (fraction <= 0) return '';
  const target = Math.floor(text.length * fraction);
  const space = text.lastIndexOf(' ', target);
  return space <= 0 ? '' : text.slice(0, space).trimEnd();
}

/**
 * Tracks segments, marks and echoes for one call. It never touches the socket: the call sends what
 * `markAfter` names and reports what Twilio echoes.
 */
export function createPlaybackTracker() {
  let generation = 0;
  let nextSegment = 0;
  const segments = new Map<number, SpokenSegment>();
  /** Marks sent and not yet echoed, in order. */
  const pending: string[] = [];
  /** Position heard so far in the current generation. */
  let heard: { segment: number; positionMs: number } | null = null;
  const ignored = new Set<string>();

  return {
    generation: () => generation,

    /** Starts a new reply: later marks belong to it. */
    newGeneration(): number {
      generation += 1;
      heard = null;
      return generation;
    },

    addSegment(input: { messageId: string; text: string; interruptible: boolean }): SpokenSegment {
      const segment: SpokenSegment = {
        index: nextSegment,
        generation,
        messageId: input.messageId,
        text: input.text,
        interruptible: input.interruptible,
        audioMs: 0,
        complete: false,
      };
      nextSegment += 1;
      segments.set(segment.index, segment);
      return segment;
    },

    /** Records audio enqueued for a segment and returns the mark name for its current end. */
    markAfter(segment: SpokenSegment, addedMs: number): string {
      segment.audioMs += addedMs;
      const name = markName(segment.generation, segment.index, segment.audioMs);
      pending.push(name);
      return name;
    },

    /** Twilio echoed a mark. Returns true when it means audio was played (not a post-clear echo). */
    onMarkEcho(name: string): boolean {
      const at = pending.indexOf(name);
      if (at >= 0) pending.splice(0, at + 1);
      if (ignored.delete(name)) return false;
      const parsed = parseMarkName(name);
      if (!parsed || parsed.generation !== generation || at < 0) return false;
      heard = { segment: parsed.segment, positionMs: parsed.positionMs };
      return true;
    },

    /** Marks sent whose audio has not played: the caller may still be hearing us. */
    unplayedMarks: () => pending.length,

    /** True when the segment still being heard (or the next one) must not be cut off. */
    currentlyUninterruptible(): boolean {
      const first = pending[0];
      const parsed = first ? parseMarkName(first) : null;
      const segment = parsed ? segments.get(parsed.segment) : undefined;
      return segment !== undefined && !segment.interruptible;
    },

    /**
     * A `clear` went out: pending marks will echo at once and must not count; returns what the caller
     * heard of each message of this generation, in order.
     */
    clear(): HeardMessage[] {
      for (const name of pending) ignored.add(name);
      pending.length = 0;
      const result = this.heardMessages();
      generation += 1;
      heard = null;
      return result;
    },

    /** What the caller heard of each message of the current generation, given the marks echoed. */
    heardMessages(): HeardMessage[] {
      const byMessage = new Map<string, { spoken: string[]; heard: string[] }>();
      for (const segment of segments.values()) {
        if (segment.generation !== generation) continue;
        const entry = byMessage.get(segment.messageId) ?? { spoken: [], heard: [] };
        byMessage.set(segment.messageId, entry);
        entry.spoken.push(segment.text);
        if (!heard || segment.index > heard.segment) continue;
        if (segment.index < heard.segment) {
          entry.heard.push(segment.text);
          continue;
        }
        const total = segment.complete
          ? segment.audioMs
          : Math.max(segment.audioMs, segment.text.length * ESTIMATED_MS_PER_CHAR);
        const part = cutAtWord(segment.text, total === 0 ? 0 : heard.positionMs / total);
        if (part) entry.heard.push(part);
      }
      return [...byMessage].map(([messageId, entry]) => ({
        messageId,
        spokenText: entry.spoken.join(' '),
        heardText: entry.heard.join(' '),
      }));
    },

    /**
     * Where the caller is in the current generation, by the last echoed mark: the segment's message and
     * the ms of it played (null before any audio of this generation was confirmed).
     */
    heardPosition(): { messageId: string; positionMs: number; audioMs: number } | null {
      if (!heard) return null;
      const segment = segments.get(heard.segment);
      return segment
        ? { messageId: segment.messageId, positionMs: heard.positionMs, audioMs: segment.audioMs }
        : null;
    },

    /** Forgets segments of finished generations (bounded memory on long calls). */
    prune(): void {
      for (const [index, segment] of segments) if (segment.generation < generation) segments.delete(index);
      if (ignored.size > 256) ignored.clear();
    },
  };
}

export type PlaybackTracker = ReturnType<typeof createPlaybackTracker>;
