import { describe, expect, it } from 'vitest';
import { createPlaybackTracker, cutAtWord, markName, parseMarkName } from './playback.ts';
import { isBackchannel, transferNumberFor, voiceSettingsOf } from './settings.ts';

describe('playback tracker', () => {
  it('names marks by generation, segment and position, and parses them back', () => {
    expect(markName(3, 7, 480)).toBe('g3:s7:480');
    expect(parseMarkName('g3:s7:480')).toEqual({ generation: 3, segment: 7, positionMs: 480 });
    expect(parseMarkName('responsePart')).toBeNull();
    expect(parseMarkName('g1:s2:')).toBeNull();
  });

  it('counts what the caller heard from echoed marks, cut back to a word', () => {
    const tracker = createPlaybackTracker();
    tracker.newGeneration();
    const first = tracker.addSegment({
      messageId: 'm1',
      text: 'Our store opens at nine.',
      interruptible: true,
    });
    const second = tracker.addSegment({
      messageId: 'm1',
      text: 'Returns are free within thirty days.',
      interruptible: true,
    });
    const marks = [
      tracker.markAfter(first, 1000),
      tracker.markAfter(first, 500),
      tracker.markAfter(second, 1000),
      tracker.markAfter(second, 1000),
    ];
    first.complete = true;
    second.complete = true;
    expect(tracker.unplayedMarks()).toBe(4);
    expect(tracker.onMarkEcho(marks[0] ?? '')).toBe(true);
    expect(tracker.onMarkEcho(marks[1] ?? '')).toBe(true);
    expect(tracker.onMarkEcho(marks[2] ?? '')).toBe(true);
    // Half of the second sentence played when the caller barged in.
    const heard = tracker.clear();
    expect(heard).toEqual([
      {
        messageId: 'm1',
        spokenText: 'Our store opens at nine. Returns are free within thirty days.',
        heardText: 'Our store opens at nine. Returns are free',
      },
    ]);
  });

  it('ignores the marks Twilio echoes because of a clear', () => {
    const tracker = createPlaybackTracker();
    tracker.newGeneration();
    const segment = tracker.addSegment({
      messageId: 'm1',
      text: 'One two three four five six.',
      interruptible: true,
    });
    const first = tracker.markAfter(segment, 100);
    const second = tracker.markAfter(segment, 100);
    tracker.onMarkEcho(first);
    const heard = tracker.clear();
    expect(heard[0]?.heardText.length).toBeLessThan(heard[0]?.spokenText.length ?? 0);
    // After the clear, the pending mark comes back at once: it is not "played".
    expect(tracker.onMarkEcho(second)).toBe(false);
    expect(tracker.unplayedMarks()).toBe(0);
  });

  it('reports a segment that must not be cut off while it is playing', () => {
    const tracker = createPlaybackTracker();
    tracker.newGeneration();
    const legal = tracker.addSegment({ messageId: 'm1', text: 'Calls are recorded.', interruptible: false });
    tracker.markAfter(legal, 100);
    expect(tracker.currentlyUninterruptible()).toBe(true);
    const next = tracker.addSegment({ messageId: 'm2', text: 'How can I help?', interruptible: true });
    const mark = tracker.markAfter(next, 100);
    tracker.onMarkEcho(`g1:s${legal.index}:100`);
    expect(tracker.currentlyUninterruptible()).toBe(false);
    tracker.onMarkEcho(mark);
    expect(tracker.unplayedMarks()).toBe(0);
  });

  it('cuts text at word boundaries', () => {
    expect(cutAtWord('hello there friend', 1)).toBe('hello there friend');
    expect(cutAtWord('hello there friend', 0)).toBe('');
    expect(cutAtWord('hello there friend', 0.7)).toBe('hello there');
    expect(cutAtWord('hello', 0.5)).toBe('');
  });
});

describe('agent voice settings', () => {
  it('fills defaults and names the wrong field', () => {
    const parsed = voiceSettingsOf({});
    expect(parsed.ok && parsed.settings.bargeIn.minSpeechMs).toBe(300);
    expect(parsed.ok && parsed.settings.stt.provider).toBe('local');
    const bad = voiceSettingsOf({ voice: { transfer: { default: '555-1234' } } });
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('config.voice.transfer.default') });
  });

  it('routes handoff queues to their numbers and recognizes backchannels', () => {
    const parsed = voiceSettingsOf({
      voice: { transfer: { default: '+15550100999', queues: { billing: '+15550100111' } } },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(transferNumberFor(parsed.settings, 'billing')).toBe('+15550100111');
    expect(transferNumberFor(parsed.settings, 'support')).toBe('+15550100999');
    expect(transferNumberFor(parsed.settings, null)).toBe('+15550100999');
    expect(isBackchannel(parsed.settings, 'Uh-huh.')).toBe(true);
    expect(isBackchannel(parsed.settings, 'okay')).toBe(true);
    expect(isBackchannel(parsed.settings, 'wait, that is wrong')).toBe(false);
  });
});
