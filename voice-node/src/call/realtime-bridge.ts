import { createFrameAssembler, type Pacer } from '../audio/index.ts';
import type { RealtimeSession } from '../providers/openai-realtime.ts';
import type { CallTurnRecord } from './backend.ts';
import type { VoiceMetrics } from './metrics.ts';
import { cutAtWord, type PlaybackTracker, type SpokenSegment } from './playback.ts';

const FRAMES_PER_MARK = 5;
const FRAME_MS = 20;
const BYTES_PER_MS = 8;

/**
 * Speech-to-speech through the OpenAI Realtime API (GA events), bridged to Twilio with zero
 * transcoding: caller μ-law goes straight into `input_audio_buffer.append`, the model's `audio/pcmu`
 * deltas are re-framed to 20 ms and paced like the cascade's audio, with the same position-encoding
 * marks. On `input_audio_buffer.speech_started` over playback the node sends `clear`, truncates the
 * assistant item at the ms the caller actually heard (never more than was sent, so the API does not
 * refuse it); the server's VAD cancels the response itself (`interrupt_response`). Transcripts become
 * the call's turns.
 */
export function createRealtimeBridge(options: {
  session: RealtimeSession;
  pacer: Pacer;
  tracker: PlaybackTracker;
  metrics: VoiceMetrics;
  now: () => number;
  isAudible: () => boolean;
  sendClear: () => void;
  onTurn: (turn: CallTurnRecord) => void;
  onFailure: (reason: string) => void;
}) {
  const { session, pacer, tracker, now } = options;
  const assembler = createFrameAssembler(160);
  let segment: SpokenSegment | null = null;
  let framesSinceMark = 0;
  /** Wall time (now()) at which the first caller audio was appended; server VAD times are relative to it. */
  let audioOriginAt: number | null = null;
  let callerText: string | undefined;
  let speechStoppedAt: number | undefined;
  let firstDeltaAt: number | undefined;
  let firstFrameSent = false;
  let turnIndex = 0;
  const transcripts = new Map<string, string>();
  let current: CallTurnRecord | null = null;

  function finishSegment(): void {
    if (!segment) return;
    const tail = assembler.flush(0xff);
    if (tail) {
      pacer.enqueueAudio(tail);
      framesSinceMark += 1;
    }
    segment.complete = true;
    pacer.enqueueMark(tracker.markAfter(segment, framesSinceMark * FRAME_MS));
    framesSinceMark = 0;
    segment = null;
  }

  session.onAudioDelta = ({ itemId, delta }) => {
    if (!segment || segment.messageId !== itemId) {
      finishSegment();
      tracker.newGeneration();
      segment = tracker.addSegment({ messageId: itemId, text: '', interruptible: true });
      firstDeltaAt = now();
      firstFrameSent = false;
      current = {
        index: turnIndex,
        kind: turnIndex === 0 ? 'opening' : 'speech',
        ...(callerText ? { callerText } : {}),
        spokenText: '',
        heardText: '',
        interrupted: false,
        latency: {},
      };
      turnIndex += 1;
      callerText = undefined;
    }
    const active = segment;
    for (const frame of assembler.push(Buffer.from(delta, 'base64'))) {
      pacer.enqueueAudio(frame);
      if (!firstFrameSent && current && firstDeltaAt !== undefined) {
        firstFrameSent = true;
        // Frames go out on the pacer's clock; the first one of a response is sent at once.
        const sentAt = now();
        current.latency.firstFrameMs = Math.round(sentAt - firstDeltaAt);
        current.latency.serverAddedMs = current.latency.firstFrameMs;
        if (speechStoppedAt !== undefined) {
          current.latency.responseMs = Math.round(sentAt - speechStoppedAt);
          options.metrics.turnLatency(current.latency.responseMs);
        }
        options.metrics.serverAdded(current.latency.firstFrameMs);
      }
      framesSinceMark += 1;
      if (framesSinceMark === FRAMES_PER_MARK) {
        pacer.enqueueMark(tracker.markAfter(active, framesSinceMark * FRAME_MS));
        framesSinceMark = 0;
      }
    }
  };

  session.onResponseDone = () => {
    finishSegment();
  };

  session.onSpeechStarted = ({ audioStartMs }) => {
    const onsetAt = audioOriginAt === null ? now() : audioOriginAt + audioStartMs;
    if (!options.isAudible() && !segment) return;
    const position = tracker.heardPosition();
    const itemId = position?.messageId ?? segment?.messageId;
    options.sendClear();
    const reaction = Math.max(0, now() - onsetAt);
    options.metrics.bargeIn(reaction);
    pacer.clear();
    assembler.reset();
    tracker.clear();
    segment = null;
    framesSinceMark = 0;
    if (itemId) {
      // Never past what was sent: the API refuses a truncation beyond the item's audio.
      const sentMs = position?.audioMs ?? 0;
      session.truncate(itemId, Math.max(0, Math.min(position?.positionMs ?? 0, sentMs)));
    }
    // The session runs server VAD with `interrupt_response: true`: the server has already cancelled a
    // response still generating (a client cancel would be refused as not active). What the server
    // cannot know is what the caller heard: that is the truncation above, and the `clear` to Twilio.
    if (current) {
      current.interrupted = true;
      current.bargeInReactionMs = Math.round(reaction);
      const spoken = transcripts.get(itemId ?? '') ?? current.spokenText;
      const fraction = position && position.audioMs > 0 ? position.positionMs / position.audioMs : 0;
      current.spokenText = spoken;
      current.heardText = cutAtWord(spoken, fraction);
      options.onTurn(current);
      current = null;
    }
  };

  session.onSpeechStopped = () => {
    speechStoppedAt = now();
  };

  session.onTranscript = ({ role, text, itemId }) => {
    if (role === 'user') {
      callerText = text;
      return;
    }
    transcripts.set(itemId, text);
    if (current && !current.interrupted) {
      current.spokenText = text;
      current.heardText = text;
      options.onTurn(current);
      current = null;
    }
  };

  session.onError = (error) => {
    if (error.type === 'socket') options.onFailure(error.message);
  };
  session.onClose = ({ code, reason }) => {
    if (code !== 1000) options.onFailure(`realtime session closed (${code} ${reason})`);
  };

  return {
    /** Caller audio from Twilio, as received (base64 μ-law). */
    append(base64: string, byteLength: number): void {
      audioOriginAt ??= now() - byteLength / BYTES_PER_MS;
      session.appendAudio(base64);
    },
    greet(): void {
      session.say('(The caller has just connected. Greet them briefly and ask how you can help.)');
    },
    close(): void {
      session.close();
    },
  };
}

export type RealtimeBridge = ReturnType<typeof createRealtimeBridge>;
