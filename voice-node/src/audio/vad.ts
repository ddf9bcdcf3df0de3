/**
 * Energy-based voice activity and end-of-turn detection on the caller's 8 kHz audio, 20 ms at a
 * time: `speech-start` drives barge-in (stop the agent talking), `speech-end` ends the caller's turn.
 *
 * A frame is voiced when its level (RMS after removing DC, in dBFS where 0 dB is a full-scale
 * square wave) is `speechThresholdDb` above the noise floor and above `absoluteFloorDbfs`. The noise
 * floor is a minimum-statistics estimate: the quietest frame level of the last `noiseWindowMs`
 * (kept as the minima of eight sub-windows, so each frame costs O(1)). Speech always dips between
 * syllables and words, so the minimum follows the line noise, while steady noise or hum, however
 * loud, becomes the floor within one window and stops counting as speech.
 *
 * Onset needs `minSpeechMs` of voiced frames with no gap of `hangoverMs` or more between them (so
 * clicks do not barge in), and is reported at the first voiced frame, not when it was confirmed.
 * Inside an utterance, gaps shorter than `hangoverMs` count as speech (dropouts inside words);
 * the turn ends after `endOfTurnSilenceMs` without a voiced frame.
 */

/** The caller started speaking (barge-in). */
export interface SpeechStartEvent {
  type: 'speech-start';
  /** Start time of the first voiced frame of the onset (not when the onset was confirmed). */
  atMs: number;
}

/** The caller's turn ended: no voiced frame for endOfTurnSilenceMs. */
export interface SpeechEndEvent {
  type: 'speech-end';
  /** End time of the last voiced frame of the utterance. */
  atMs: number;
  /** Voiced time of the utterance, gaps shorter than the hangover included. */
  speechMs: number;
}

/** What the detector reports; at most one event per frame. */
export type VadEvent = SpeechStartEvent | SpeechEndEvent;

export interface VoiceActivityOptions {
  /** Duration of each frame passed to `process`. Default 20. */
  frameMs?: number;
  /** Voiced time needed before speech-start fires. Default 60. */
  minSpeechMs?: number;
  /** Silence after the last voiced frame that ends the turn. Default 600. */
  endOfTurnSilenceMs?: number;
  /** Margin above the adaptive noise floor for a voiced frame, dB. Default 12. */
  speechThresholdDb?: number;
  /** Frames at or below this level are never voiced, dBFS. Default -50. */
  absoluteFloorDbfs?: number;
  /** Gaps shorter than this between voiced frames belong to the same speech. Default 200. */
  hangoverMs?: number;
  /** How far back the noise floor looks for its minimum. Default 1600. */
  noiseWindowMs?: number;
}

export interface VoiceActivityDetector {
  /** Classifies one frame (PCM16 at 8 kHz) that starts at `atMs`; frames must come in time order. */
  process(frame: Int16Array, atMs: number): VadEvent | null;
  state(): 'silence' | 'speech';
  /** Voiced ms in the current utterance (0 in silence). */
  currentSpeechMs(): number;
  /** The current noise-floor estimate in dBFS, or null before the first frame. */
  noiseFloorDbfs(): number | null;
  /** Forgets everything, the noise floor included (it is re-learned from the next frame). */
  reset(): void;
}

const SUB_WINDOWS = 8;
const MIN_LEVEL_DBFS = -100;
const FULL_SCALE_POWER = 32768 * 32768;

/** Level of a PCM16 frame in dBFS, DC removed; -100 for digital silence. */
export function frameLevelDbfs(frame: Int16Array): number {
  const length = frame.length;
  if (length === 0) return MIN_LEVEL_DBFS;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < length; i++) {
    const sample = frame[i] as number;
    sum += sample;
    sumSquares += sample * sample;
  }
  const mean = sum / length;
  const power = sumSquares / length - mean * mean;
  const level = power > 0 ? 10 * Math.log10(power / FULL_SCALE_POWER) : MIN_LEVEL_DBFS;
  return Math.max(level, MIN_LEVEL_DBFS);
}

/** A detector for one audio stream (one per call direction). */
export function createVoiceActivityDetector(options: VoiceActivityOptions = {}): VoiceActivityDetector {
  const frameMs = options.frameMs ?? 20;
  const minSpeechMs = options.minSpeechMs ?? 60;
  const endOfTurnSilenceMs = options.endOfTurnSilenceMs ?? 600;
  const thresholdDb = options.speechThresholdDb ?? 12;
  const absoluteFloor = options.absoluteFloorDbfs ?? -50;
  const hangoverMs = options.hangoverMs ?? 200;
  const framesPerSubWindow = Math.max(1, Math.round((options.noiseWindowMs ?? 1600) / SUB_WINDOWS / frameMs));

  const subWindowMinima = new Float64Array(SUB_WINDOWS);
  let subWindow = 0;
  let windowMinimum = Number.POSITIVE_INFINITY; // over the completed sub-windows
  let currentMinimum = Number.POSITIVE_INFINITY;
  let currentFrames = 0;

  let speaking = false;
  let lastVoicedEnd = Number.NEGATIVE_INFINITY;
  /** Onset candidate (in silence): start, voiced frames only, and voiced time with bridged gaps. */
  let onsetStart = 0;
  let onsetVoicedMs = 0;
  let onsetBridgedMs = 0;
  let utteranceMs = 0;

  function trackFloor(level: number): void {
    if (level < currentMinimum) currentMinimum = level;
    if (++currentFrames < framesPerSubWindow) return;
    subWindowMinima[subWindow] = currentMinimum;
    subWindow = (subWindow + 1) % SUB_WINDOWS;
    currentMinimum = Number.POSITIVE_INFINITY;
    currentFrames = 0;
    windowMinimum = Number.POSITIVE_INFINITY;
    for (let i = 0; i < SUB_WINDOWS; i++) {
      const minimum = subWindowMinima[i] as number;
      if (minimum < windowMinimum) windowMinimum = minimum;
    }
  }

  function reset(): void {
    subWindowMinima.fill(Number.POSITIVE_INFINITY);
    subWindow = 0;
    windowMinimum = Number.POSITIVE_INFINITY;
    currentMinimum = Number.POSITIVE_INFINITY;
    currentFrames = 0;
    speaking = false;
    lastVoicedEnd = Number.NEGATIVE_INFINITY;
    onsetVoicedMs = 0;
    onsetBridgedMs = 0;
    utteranceMs = 0;
  }

  function noiseFloor(): number {
    return Math.min(windowMinimum, currentMinimum);
  }

  reset();
  return {
    process(frame, atMs) {
      const level = frameLevelDbfs(frame);
      const floor = noiseFloor();
      const threshold =
        floor === Number.POSITIVE_INFINITY ? absoluteFloor : Math.max(absoluteFloor, floor + thresholdDb);
      trackFloor(level);
      if (level > threshold) {
        const gap = atMs - lastVoicedEnd;
        const bridged = gap < hangoverMs ? Math.max(0, gap) : 0;
        lastVoicedEnd = atMs + frameMs;
        if (speaking) {
          utteranceMs += bridged + frameMs;
          return null;
        }
        if (onsetVoicedMs > 0 && gap < hangoverMs) {
          onsetVoicedMs += frameMs;
          onsetBridgedMs += bridged + frameMs;
        } else {
          onsetStart = atMs;
          onsetVoicedMs = frameMs;
          onsetBridgedMs = frameMs;
        }
        if (onsetVoicedMs < minSpeechMs) return null;
        speaking = true;
        utteranceMs = onsetBridgedMs;
        onsetVoicedMs = 0;
        return { type: 'speech-start', atMs: onsetStart };
      }
      if (speaking && atMs + frameMs - lastVoicedEnd >= endOfTurnSilenceMs) {
        const event: VadEvent = { type: 'speech-end', atMs: lastVoicedEnd, speechMs: utteranceMs };
        speaking = false;
        utteranceMs = 0;
        return event;
      }
      return null;
    },
    state: () => (speaking ? 'speech' : 'silence'),
    currentSpeechMs: () => (speaking ? utteranceMs : 0),
    noiseFloorDbfs() {
      const floor = noiseFloor();
      return floor === Number.POSITIVE_INFINITY ? null : floor;
    },
    reset,
  };
}
