import { describe, expect, it } from 'vitest';
import { createPacer, type PacerEntry, type PacerOptions } from './pacer.ts';

/** A manual clock with timers that fire `lateMs` after their due time when time is advanced. */
function fakeTime(lateMs = 0) {
  let clock = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => clock,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: clock + ms + lateMs, fn });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers.delete(id as number);
    },
    pending: () => timers.size,
    /** Runs every timer due up to `to`, in order, then sets the clock to `to`. */
    advanceTo(to: number) {
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const timer of timers) if (!next || timer[1].at < next[1].at) next = timer;
        if (!next || next[1].at > to) break;
        timers.delete(next[0]);
        clock = next[1].at;
        next[1].fn();
      }
      clock = to;
    },
  };
}

interface Sent {
  at: number;
  lead: number;
  entry: PacerEntry;
}

function setup(overrides: Partial<PacerOptions> = {}, lateMs = 0) {
  const time = fakeTime(lateMs);
  const sent: Sent[] = [];
  let drained = 0;
  const pacer = createPacer({
    now: time.now,
    setTimer: time.setTimer,
    clearTimer: time.clearTimer,
    send: (entry) => sent.push({ at: time.now(), lead: pacer.leadMs(), entry }),
    onDrained: () => drained++,
    ...overrides,
  });
  return { time, sent, pacer, drained: () => drained };
}

const frame = (tag = 0) => new Uint8Array(160).fill(tag);
const audioTimes = (sent: Sent[]) => sent.filter((s) => s.entry.kind === 'audio').map((s) => s.at);
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('createPacer', () => {
  it('sends a 2 s clip at 1.5× until 500 ms are buffered, then one frame per 20 ms', () => {
    const { time, sent, pacer, drained } = setup();
    for (let i = 0; i < 100; i++) pacer.enqueueAudio(frame(i));
    expect(sent.length).toBe(1); // the first frame goes out at once
    time.advanceTo(5000);
    const times = audioTimes(sent);
    expect(times.length).toBe(100);
    const spacing = gaps(times);
    expect(Math.min(...spacing)).toBeGreaterThanOrEqual(13);
    const fast = spacing.filter((gap) => gap < 15).length;
    // The lead grows by 20 - 13.3 ms per frame: about 73 frames (≈1.5 s of audio) go out fast.
    expect(fast).toBeGreaterThanOrEqual(70);
    expect(fast).toBeLessThanOrEqual(76);
    expect(spacing.slice(76).every((gap) => Math.abs(gap - 20) < 1.01)).toBe(true);
    // The lead after a send never exceeds maxLead plus the frame just sent.
    expect(Math.max(...sent.map((s) => s.lead))).toBeLessThanOrEqual(520);
    expect(Math.max(...sent.map((s) => s.lead))).toBeGreaterThanOrEqual(500);
    // Everything is sent about (clip length - lead) after the start.
    expect(times[99]! - times[0]!).toBeGreaterThanOrEqual(1460);
    expect(times[99]! - times[0]!).toBeLessThanOrEqual(1500);
    expect(Array.from((sent[42]!.entry as { payload: Uint8Array }).payload.subarray(0, 2))).toEqual([42, 42]);
    expect(pacer.sentFrames()).toBe(100);
    expect(drained()).toBe(2); // once when the first frame went out at once, once at the end
    expect(time.pending()).toBe(0);
    expect(pacer.leadMs()).toBe(0);
  });

  it('sends marks in order, right after the audio queued before them', () => {
    const { time, sent, pacer } = setup();
    pacer.enqueueMark('before');
    expect(sent.map((s) => s.entry)).toEqual([{ kind: 'mark', name: 'before' }]);
    for (let i = 0; i < 3; i++) pacer.enqueueAudio(frame(i));
    pacer.enqueueMark('a');
    pacer.enqueueAudio(frame(3));
    pacer.enqueueMark('b');
    pacer.enqueueMark('c');
    time.advanceTo(1000);
    const order = sent.map((s) => (s.entry.kind === 'mark' ? s.entry.name : `audio${s.entry.payload[0]}`));
    expect(order).toEqual(['before', 'audio0', 'audio1', 'audio2', 'a', 'audio3', 'b', 'c']);
    const at = (name: string) => sent.find((s) => s.entry.kind === 'mark' && s.entry.name === name)!.at;
    expect(at('a')).toBe(sent[3]!.at);
    expect(at('c')).toBe(sent[5]!.at);
    pacer.enqueueMark('idle');
    expect(sent.at(-1)).toEqual({ at: 1000, lead: 0, entry: { kind: 'mark', name: 'idle' } });
  });

  it('clear drops and returns what was queued, resets the playhead and leaves no timer', () => {
    const { time, sent, pacer, drained } = setup();
    for (let i = 0; i < 50; i++) {
      pacer.enqueueAudio(frame(i));
      if (i % 10 === 9) pacer.enqueueMark(`m${i}`);
    }
    time.advanceTo(205);
    const sentBefore = pacer.sentFrames();
    expect(sentBefore).toBe(16); // t = 0, 13.3, …, 200
    expect(pacer.queuedMs()).toBe((50 - sentBefore) * 20);
    expect(pacer.leadMs()).toBe(sentBefore * 20 - 205);
    const result = pacer.clear();
    expect(result).toEqual({ droppedFrames: 50 - sentBefore, droppedMarks: ['m19', 'm29', 'm39', 'm49'] });
    expect(pacer.queuedMs()).toBe(0);
    expect(pacer.leadMs()).toBe(0);
    expect(time.pending()).toBe(0);
    time.advanceTo(1000);
    expect(pacer.sentFrames()).toBe(sentBefore);
    expect(drained()).toBe(1); // only for the first frame, not for the clear
    // The next turn starts at once.
    pacer.enqueueAudio(frame(99));
    expect(sent.at(-1)?.at).toBe(1000);
    expect(pacer.clear()).toEqual({ droppedFrames: 0, droppedMarks: [] });
  });

  it('arms no timer while idle and sends at once after an idle period', () => {
    const { time, sent, pacer } = setup();
    expect(time.pending()).toBe(0);
    pacer.enqueueAudio(frame());
    pacer.enqueueAudio(frame());
    expect(time.pending()).toBe(1);
    time.advanceTo(100);
    expect(time.pending()).toBe(0);
    time.advanceTo(10_000);
    pacer.enqueueAudio(frame());
    expect(sent.map((s) => s.at)).toEqual([0, 14, 10_000]);
    expect(Array.from(pacer.jitterSamples()).map((j) => Math.round(j * 100) / 100)).toEqual([0, 0.67, 0]);
  });

  it('records timer lateness as jitter without letting it accumulate into gaps', () => {
    const { time, sent, pacer } = setup({}, 7);
    for (let i = 0; i < 100; i++) pacer.enqueueAudio(frame());
    time.advanceTo(5000);
    const times = audioTimes(sent);
    // Every timer fires 7 ms late, yet each deadline follows the previous *scheduled* time, so the
    // clip still finishes sending 1480 ms after it started (plus one timer's lateness).
    expect(times[99]).toBeGreaterThanOrEqual(1480);
    expect(times[99]).toBeLessThanOrEqual(1480 + 8);
    const jitter = Array.from(pacer.jitterSamples());
    expect(jitter.length).toBe(100);
    expect(jitter[0]).toBe(0);
    expect(Math.min(...jitter.slice(1))).toBeGreaterThanOrEqual(7);
    expect(Math.max(...jitter)).toBeLessThanOrEqual(8);
  });

  it('turns lateness into an underrun gap when there is no lead to absorb it', () => {
    const { time, sent, pacer } = setup({ maxLeadMs: 0 }, 5);
    for (let i = 0; i < 10; i++) pacer.enqueueAudio(frame());
    time.advanceTo(1000);
    // With no lead, the far end runs dry before each late frame: the playhead restarts from it.
    expect(gaps(audioTimes(sent))).toEqual(new Array(9).fill(25));
  });

  it('keeps only the most recent jitter samples', () => {
    const { time, pacer } = setup({ jitterCapacity: 4, maxLeadMs: 0 }, 3);
    for (let i = 0; i < 10; i++) pacer.enqueueAudio(frame());
    time.advanceTo(1000);
    expect(pacer.jitterSamples().length).toBe(4);
    expect(Array.from(pacer.jitterSamples()).every((j) => j >= 3 && j <= 4)).toBe(true);
  });

  it('refuses frames of the wrong size and ignores entries after close', () => {
    const { time, sent, pacer } = setup();
    expect(() => pacer.enqueueAudio(new Uint8Array(161))).toThrow(RangeError);
    pacer.enqueueAudio(frame());
    pacer.enqueueAudio(frame());
    pacer.close();
    expect(time.pending()).toBe(0);
    pacer.enqueueAudio(frame());
    pacer.enqueueMark('late');
    time.advanceTo(1000);
    expect(sent.length).toBe(1);
  });

  it('closes itself and reports when send throws', () => {
    const errors: unknown[] = [];
    const time = fakeTime();
    const pacer = createPacer({
      ...time,
      send: () => {
        throw new Error('socket closed');
      },
      onError: (error) => errors.push(error),
    });
    pacer.enqueueAudio(frame());
    pacer.enqueueAudio(frame());
    expect(errors).toHaveLength(1);
    expect(time.pending()).toBe(0);
    expect(pacer.queuedMs()).toBe(0);
  });

  it('handles entries queued and a clear issued from inside send', () => {
    const { time, sent, pacer } = setup({
      send: (entry) => {
        sent.push({ at: time.now(), lead: 0, entry });
        if (entry.kind === 'mark' && entry.name === 'barge') {
          pacer.clear();
          pacer.enqueueAudio(frame(7));
        }
      },
    });
    pacer.enqueueAudio(frame(0));
    pacer.enqueueAudio(frame(1));
    pacer.enqueueMark('barge');
    pacer.enqueueAudio(frame(2));
    time.advanceTo(100);
    const order = sent.map((s) => (s.entry.kind === 'mark' ? s.entry.name : s.entry.payload[0]));
    expect(order).toEqual([0, 1, 'barge', 7]);
    expect(sent.at(-1)?.at).toBe(sent[1]!.at); // the new turn went out at once
    expect(time.pending()).toBe(0);
  });

  // The bound holds on an idle machine; under a burst of load elsewhere one timer can be late, so a
  // failure has to repeat three times in a row to count.
  it('paces 50 frames on real timers with a p99 send jitter under 15 ms', { retry: 2 }, async () => {
    const sendTimes: number[] = [];
    let finished = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const pacer = createPacer({
      send: (entry) => {
        if (entry.kind === 'audio') sendTimes.push(performance.now());
      },
      onDrained: () => {
        if (pacer.sentFrames() === 50) finished(); // the first frame drains the queue for a moment
      },
    });
    for (let i = 0; i < 50; i++) pacer.enqueueAudio(frame());
    await done;
    const jitter = Array.from(pacer.jitterSamples()).sort((a, b) => a - b);
    expect(jitter.length).toBe(50);
    const p99 = jitter[Math.ceil(0.99 * jitter.length) - 1]!;
    expect(p99).toBeLessThan(15);
    expect(jitter[0]).toBeGreaterThanOrEqual(-1); // never more than the early-firing tolerance
    // 50 frames inside the 1.5× ramp: 49 gaps of 13.3 ms, give or take a late timer.
    const span = sendTimes.at(-1)! - sendTimes[0]!;
    expect(span).toBeGreaterThan(49 * (20 / 1.5) - 2);
    expect(span).toBeLessThan(49 * (20 / 1.5) + 15);
  });
});
