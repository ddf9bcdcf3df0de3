import type { MessageView, TurnResult, TurnSink } from '@lumay/shared';
import type { WebSocket } from 'ws';
import {
  createPacer,
  createSentenceSplitter,
  createVoiceActivityDetector,
  mulawDecodeInto,
  type Pacer,
  type VoiceActivityDetector,
} from '../audio/index.ts';
import type { RealtimeSession } from '../providers/openai-realtime.ts';
import type { SpeechToText, SpeechToTextSession, TextToSpeech } from '../providers/ports.ts';
import { clearMessage, markMessage, mediaMessage, parseMediaMessage } from '../twilio/media-messages.ts';
import type { CallerInput, CallTurnRecord, ClaimedCall, VoiceBackend } from './backend.ts';
import type { CallControl } from './call-control.ts';
import type { VoiceMetrics } from './metrics.ts';
import { createPlaybackTracker, type HeardMessage } from './playback.ts';
import { createRealtimeBridge, type RealtimeBridge } from './realtime-bridge.ts';
import { type AgentVoiceSettings, isBackchannel, transferNumberFor } from './settings.ts';
import { createReplySpeaker, type ReplySpeaker, type ReplyTimings } from './speaker.ts';

/** Caller audio kept from before speech was detected, so the recognizer hears the first syllable. */
const PRE_ROLL_FRAMES = 10;
/** Longest utterance sent to the recognizer (longer speech is cut into turns). */
const MAX_UTTERANCE_MS = 30_000;
/** DTMF digits end after this pause or at `#`. */
const DTMF_INTER_DIGIT_MS = 2000;
/** Messages that fail to parse before the call gives up on the stream. */
const MAX_BAD_FRAMES = 200;
/** How long a stream may stay without a `start` frame. */
const START_TIMEOUT_MS = 10_000;

/** Why a call ended, as stored with the call. */
export type EndReason =
  | 'hangup'
  | 'completed'
  | 'transfer'
  | 'no_input'
  | 'error'
  | 'drained'
  | 'rejected'
  | 'provider_failure';

export interface MediaCallDeps {
  backend: VoiceBackend;
  /** Builds the speech providers of an agent (throws VoiceProviderError when one is unavailable). */
  providers: (settings: AgentVoiceSettings) => { stt: SpeechToText; tts: TextToSpeech };
  /** Transfer and hang-up through Twilio's REST API. */
  control: CallControl;
  metrics: VoiceMetrics;
  /** μ-law audio of a line spoken when providers fail (synthesized once, offline). */
  fallbackAudio: (text: string) => Promise<Uint8Array | null>;
  /** Opens an OpenAI Realtime session for agents with `pipeline: 'realtime'` (absent: not configured). */
  realtime?: (settings: AgentVoiceSettings) => Promise<RealtimeSession>;
  now?: () => number;
  log?: (event: string, data: Record<string, unknown>) => void;
}

interface ActiveReply {
  generation: number;
  speaker: ReplySpeaker;
  interrupt: AbortController;
  timings: ReplyTimings;
  /** Turn timing: caller stopped speaking, end of turn detected, transcript ready. */
  speechEndAt?: number;
  endOfTurnAt?: number;
  transcriptAt?: number;
  record: CallTurnRecord;
  messageIds: string[];
  /** Text of each message, as the engine stored it (streamed or whole). */
  messageText: Map<string, string>;
  engineDone: boolean;
  heard: HeardMessage[] | null;
  finished: boolean;
}

interface Utterance {
  onsetAt: number;
  duringPlayback: boolean;
  bargedIn: boolean;
  frames: number;
}

/**
 * One phone call over Twilio Media Streams (bidirectional): caller audio → VAD/end of turn → STT →
 * flow engine → sentences → TTS → 20 ms μ-law frames on an absolute-clock pacer → Twilio, with
 * barge-in, backchannels, DTMF, no-input re-prompts, transfer and hang-up. Failures stay inside the
 * call: a bad frame is dropped, a failing provider plays a fallback line and transfers or ends.
 */
export class MediaStreamCall {
  private readonly deps: MediaCallDeps;
  private readonly socket: WebSocket;
  private readonly now: () => number;
  private phase: 'awaiting_start' | 'starting' | 'active' | 'ending' | 'ended' = 'awaiting_start';
  private streamSid = '';
  private callSid = '';
  private call: ClaimedCall | null = null;
  private conversationId: string | null = null;
  private settings: AgentVoiceSettings | null = null;
  private stt: SpeechToText | null = null;
  private tts: TextToSpeech | null = null;
  private sttSession: SpeechToTextSession | null = null;
  private bridge: RealtimeBridge | null = null;
  /** Counted in the active-calls gauge (so `finish` takes it out exactly once). */
  private counted = false;
  private readonly tracker = createPlaybackTracker();
  private pacer: Pacer;
  private vad: VoiceActivityDetector | null = null;
  private readonly preRoll: Uint8Array[] = [];
  /** Decoded caller audio of the current frame (reused: one allocation per call, not per frame). */
  private pcm = new Int16Array(160);
  private utterance: Utterance | null = null;
  private reply: ActiveReply | null = null;
  private turnChain: Promise<void> = Promise.resolve();
  private turnIndex = 0;
  private lastSequence = 0;
  private badFrames = 0;
  private digits = '';
  private digitTimer: ReturnType<typeof setTimeout> | null = null;
  private noInputTimer: ReturnType<typeof setTimeout> | null = null;
  private noInputCount = 0;
  private startTimer: ReturnType<typeof setTimeout> | null;
  /** What to do once the caller has heard everything queued (hang up, transfer). */
  private afterPlayback: (() => Promise<void>) | null = null;
  private endReason: EndReason = 'hangup';
  private transferTo: string | undefined;
  private summary: string | undefined;
  readonly ended: Promise<void>;
  private resolveEnded: () => void = () => undefined;

  constructor(socket: WebSocket, deps: MediaCallDeps) {
    this.socket = socket;
    this.deps = deps;
    this.now = deps.now ?? (() => performance.now());
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.pacer = createPacer({
      send: (entry) => {
        if (this.socket.readyState !== this.socket.OPEN) return;
        if (entry.kind === 'audio') {
          const reply = this.reply;
          if (reply && reply.timings.firstFrame === undefined) {
            reply.timings.firstFrame = this.now();
            this.completeLatency(reply);
          }
          this.socket.send(mediaMessage(this.streamSid, entry.payload));
        } else {
          this.socket.send(markMessage(this.streamSid, entry.name));
        }
      },
      now: this.now,
    });
    this.startTimer = setTimeout(() => this.close('rejected', 1008, 'no start frame'), START_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.badFrame('binary frame');
      this.onMessage(data.toString());
    });
    socket.on('close', () => void this.finish(this.phase === 'ending' ? this.endReason : 'hangup'));
    socket.on('error', () => void this.finish('error'));
  }

  /** Live calls the node reports; `draining` calls finish their turn and end. */
  get callId(): string | null {
    return this.call?.callId ?? null;
  }

  private log(event: string, data: Record<string, unknown> = {}): void {
    this.deps.log?.(event, { callSid: this.callSid, ...data });
  }

  private badFrame(reason: string): void {
    this.badFrames += 1;
    this.deps.metrics.badFrame();
    if (this.badFrames <= 3) this.log('bad_frame', { reason });
    if (this.badFrames > MAX_BAD_FRAMES) this.close('error', 1007, 'too many invalid frames');
  }

  private onMessage(text: string): void {
    const parsed = parseMediaMessage(text);
    if (!parsed.ok) {
      this.badFrame(parsed.reason);
      return;
    }
    const message = parsed.message;
    if ('sequenceNumber' in message && typeof message.sequenceNumber === 'string') {
      const sequence = Number(message.sequenceNumber);
      // Out-of-order or replayed frames are dropped: audio must stay in order.
      if (Number.isFinite(sequence) && sequence <= this.lastSequence) {
        this.badFrame('out-of-order frame');
        return;
      }
      if (Number.isFinite(sequence)) this.lastSequence = sequence;
    }
    switch (message.event) {
      case 'connected':
        return;
      case 'start':
        if (this.phase !== 'awaiting_start') {
          this.badFrame('second start frame');
          return;
        }
        void this.begin(message.start);
        return;
      case 'media':
        if (this.phase !== 'active') return;
        if (message.media.track !== undefined && message.media.track !== 'inbound') return;
        if (this.bridge) this.bridge.append(message.media.payload, message.audio.length);
        else this.onAudio(message.audio);
        return;
      case 'dtmf':
        if (this.phase === 'active') this.onDigit(message.dtmf.digit);
        return;
      case 'mark':
        this.onMarkEcho(message.mark.name);
        return;
      case 'stop':
        void this.finish(this.phase === 'ending' ? this.endReason : 'hangup');
        return;
    }
  }

  private async begin(start: {
    streamSid: string;
    callSid: string;
    customParameters?: Record<string, string> | undefined;
  }): Promise<void> {
    this.phase = 'starting';
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
    this.streamSid = start.streamSid;
    this.callSid = start.callSid;
    const parameters = start.customParameters ?? {};
    const { tenantId, callId, token } = parameters;
    if (!tenantId || !callId || !token) {
      this.log('stream_rejected', { reason: 'missing parameters' });
      return this.close('rejected', 1008, 'missing stream parameters');
    }
    try {
      this.call = await this.deps.backend.claimStream({ tenantId, callId, callSid: start.callSid, token });
    } catch (error) {
      this.log('stream_rejected', { reason: error instanceof Error ? error.message : String(error) });
      return this.close('rejected', 1008, 'stream token refused');
    }
    try {
      this.settings = await this.deps.backend.agentSettings(this.call.tenantId, this.call.agentId);
      if (this.settings.pipeline === 'realtime') return await this.beginRealtime(this.settings);
      const providers = this.deps.providers(this.settings);
      this.stt = providers.stt;
      this.tts = providers.tts;
      this.sttSession = await this.stt.open({
        language: this.settings.stt.language ?? this.settings.language,
        hints: this.settings.hints,
      });
    } catch (error) {
      this.log('providers_unavailable', { reason: error instanceof Error ? error.message : String(error) });
      this.phase = 'active';
      // The call is live (the caller hears the fallback line): it counts until it ends.
      this.countStarted();
      return this.providerFailure();
    }
    this.vad = createVoiceActivityDetector({ endOfTurnSilenceMs: this.settings.endOfTurnSilenceMs });
    this.phase = 'active';
    this.countStarted();
    this.enqueueTurn({}, 'opening');
  }

  /** Speech-to-speech: the call's audio goes to an OpenAI Realtime session instead of STT/engine/TTS. */
  private async beginRealtime(settings: AgentVoiceSettings): Promise<void> {
    const call = this.call;
    if (!this.deps.realtime || !call)
      throw new Error('OpenAI Realtime is not configured: set OPENAI_API_KEY');
    const session = await this.deps.realtime(settings);
    this.bridge = createRealtimeBridge({
      session,
      pacer: this.pacer,
      tracker: this.tracker,
      metrics: this.deps.metrics,
      now: this.now,
      isAudible: () => this.isAudible(),
      sendClear: () => {
        if (this.socket.readyState === this.socket.OPEN) this.socket.send(clearMessage(this.streamSid));
      },
      onTurn: (turn) => {
        void this.deps.backend.appendTurn(call, turn).catch(() => undefined);
      },
      onFailure: (reason) => {
        this.log('realtime_failed', { reason });
        void this.providerFailure();
      },
    });
    this.phase = 'active';
    this.countStarted();
    this.bridge.greet();
  }

  private countStarted(): void {
    if (this.counted) return;
    this.counted = true;
    this.deps.metrics.callStarted();
  }

  private onAudio(payload: Uint8Array): void {
    const vad = this.vad;
    if (!vad) return;
    const at = this.now();
    this.preRoll.push(payload);
    if (this.preRoll.length > PRE_ROLL_FRAMES) this.preRoll.shift();
    if (this.pcm.length !== payload.length) this.pcm = new Int16Array(payload.length);
    mulawDecodeInto(payload, this.pcm);
    const event = vad.process(this.pcm, at);
    const utterance = this.utterance;
    if (event?.type === 'speech-start') {
      this.clearNoInput();
      this.utterance = {
        onsetAt: event.atMs,
        duringPlayback: this.isAudible() || this.isReplyActive(),
        bargedIn: false,
        frames: 0,
      };
      // The pre-roll already holds this frame: the recognizer gets the onset and this frame once.
      for (const frame of this.preRoll) this.sttSession?.write(frame);
      this.utterance.frames += this.preRoll.length;
      this.preRoll.length = 0;
    } else if (utterance) {
      this.sttSession?.write(payload);
      utterance.frames += 1;
    }
    const current = this.utterance;
    if (!current) return;
    this.checkBargeIn(current, vad);
    if (current === utterance && (event?.type === 'speech-end' || current.frames * 20 >= MAX_UTTERANCE_MS)) {
      this.utterance = null;
      const speechEndAt = event?.type === 'speech-end' ? event.atMs : at;
      void this.endOfUtterance(current, speechEndAt, at);
    }
  }

  private checkBargeIn(utterance: Utterance, vad: VoiceActivityDetector): void {
    if (
      !utterance.bargedIn &&
      this.settings?.bargeIn.enabled &&
      vad.currentSpeechMs() >= this.settings.bargeIn.minSpeechMs &&
      (this.isAudible() || this.isReplyActive()) &&
      !this.tracker.currentlyUninterruptible()
    ) {
      utterance.bargedIn = true;
      this.bargeIn(utterance.onsetAt);
    }
  }

  /** The caller finished speaking: a turn, or a backchannel/noise to drop. */
  private async endOfUtterance(
    utterance: Utterance,
    speechEndAt: number,
    endOfTurnAt: number,
  ): Promise<void> {
    const session = this.sttSession;
    const settings = this.settings;
    if (!session || !settings) return;
    // Speech over playback that never reached the barge-in threshold is a backchannel: the reply goes on.
    const backchannelByLength = utterance.duringPlayback && !utterance.bargedIn && this.isAudible();
    let text: string;
    try {
      text = (await session.finalize()).text.trim();
    } catch (error) {
      this.log('stt_failed', { reason: error instanceof Error ? error.message : String(error) });
      return this.providerFailure();
    }
    const transcriptAt = this.now();
    if (backchannelByLength || text === '') {
      if (backchannelByLength) this.deps.metrics.backchannel();
      if (!this.isAudible() && !this.isReplyActive()) this.armNoInput();
      return;
    }
    if (utterance.duringPlayback && !utterance.bargedIn && isBackchannel(settings, text)) {
      this.deps.metrics.backchannel();
      return;
    }
    this.enqueueTurn({ text }, 'speech', { speechEndAt, endOfTurnAt, transcriptAt });
  }

  private onDigit(digit: string): void {
    this.clearNoInput();
    if ((this.isAudible() || this.isReplyActive()) && !this.tracker.currentlyUninterruptible()) {
      this.bargeIn(this.now());
    }
    if (this.digitTimer) clearTimeout(this.digitTimer);
    if (digit === '#') {
      this.flushDigits();
      return;
    }
    this.digits += digit;
    this.digitTimer = setTimeout(() => this.flushDigits(), DTMF_INTER_DIGIT_MS);
  }

  private flushDigits(): void {
    if (this.digitTimer) clearTimeout(this.digitTimer);
    this.digitTimer = null;
    const digits = this.digits;
    this.digits = '';
    if (digits !== '') this.enqueueTurn({ digits }, 'dtmf');
  }

  private onMarkEcho(name: string): void {
    this.tracker.onMarkEcho(name);
    this.checkPlaybackFinished();
  }

  /** Audio queued or sent whose playback Twilio has not confirmed. */
  private isAudible(): boolean {
    return this.pacer.queuedMs() > 0 || this.tracker.unplayedMarks() > 0;
  }

  private isReplyActive(): boolean {
    return this.reply !== null && !this.reply.finished && !this.reply.engineDone;
  }

  /** Caller speech (or a key) over the reply: clear Twilio's buffer, stop generating, keep what was heard. */
  private bargeIn(onsetAt: number): void {
    const reply = this.reply;
    if (!reply || reply.finished) {
      if (!this.isAudible()) return;
    }
    this.socket.send(clearMessage(this.streamSid));
    const reaction = this.now() - onsetAt;
    this.deps.metrics.bargeIn(reaction);
    this.pacer.clear();
    const heard = this.tracker.clear();
    this.log('barge_in', { reactionMs: Math.round(reaction) });
    if (reply && !reply.finished) {
      reply.record.interrupted = true;
      reply.record.bargeInReactionMs = Math.round(reaction);
      reply.heard = heard;
      reply.interrupt.abort();
      reply.speaker.abort();
      if (reply.engineDone) void this.settleInterruption(reply);
    }
    // A pending hang-up or transfer waits for the caller's new turn instead.
    this.afterPlayback = null;
  }

  /** Stores what the caller heard of an interrupted reply (once the engine has stored the messages). */
  private async settleInterruption(reply: ActiveReply): Promise<void> {
    const call = this.call;
    const conversationId = this.conversationId;
    if (!call || !conversationId) return;
    const heardById = new Map((reply.heard ?? []).map((entry) => [entry.messageId, entry.heardText]));
    const spoken: string[] = [];
    const heard: string[] = [];
    for (const messageId of reply.messageIds) {
      const full = reply.messageText.get(messageId) ?? '';
      const heardText = heardById.get(messageId) ?? '';
      spoken.push(full);
      heard.push(heardText);
      if (heardText === full) continue;
      try {
        // The engine may have stored less than was generated (an interrupted stream): cut only to a prefix.
        const cut = full.startsWith(heardText) ? heardText : '';
        await this.deps.backend.recordInterruption(call, conversationId, messageId, cut);
      } catch (error) {
        this.log('truncate_failed', { reason: error instanceof Error ? error.message : String(error) });
      }
    }
    reply.record.spokenText = spoken.filter(Boolean).join(' ');
    reply.record.heardText = heard.filter(Boolean).join(' ');
    this.finishReply(reply);
  }

  private enqueueTurn(
    input: CallerInput,
    kind: CallTurnRecord['kind'],
    timing: { speechEndAt?: number; endOfTurnAt?: number; transcriptAt?: number } = {},
  ): void {
    this.turnChain = this.turnChain
      .then(() => this.runTurn(input, kind, timing))
      .catch((error: unknown) => {
        this.log('turn_failed', { reason: error instanceof Error ? error.message : String(error) });
        return this.providerFailure();
      });
  }

  private async runTurn(
    input: CallerInput,
    kind: CallTurnRecord['kind'],
    timing: { speechEndAt?: number; endOfTurnAt?: number; transcriptAt?: number },
  ): Promise<void> {
    const call = this.call;
    const tts = this.tts;
    const settings = this.settings;
    if (!call || !tts || !settings || this.phase !== 'active') return;
    // A new turn starts: whatever the previous reply was, the caller heard what the tracker says.
    if (this.reply && !this.reply.finished) this.finishReply(this.reply);
    const generation = this.tracker.newGeneration();
    this.tracker.prune();
    const timings: ReplyTimings = {};
    const interrupt = new AbortController();
    const reply: ActiveReply = {
      generation,
      interrupt,
      timings,
      ...timing,
      speaker: createReplySpeaker({
        tts,
        pacer: this.pacer,
        tracker: this.tracker,
        voice: settings.tts.voice,
        language: settings.language,
        now: this.now,
        timings,
        onError: (error) => {
          this.log('tts_failed', { reason: error instanceof Error ? error.message : String(error) });
          void this.providerFailure();
        },
      }),
      record: {
        index: this.turnIndex,
        kind,
        ...(input.text ? { callerText: input.text } : {}),
        ...(input.digits ? { callerText: `DTMF ${input.digits}` } : {}),
        spokenText: '',
        heardText: '',
        interrupted: false,
        latency: {},
      },
      messageIds: [],
      messageText: new Map(),
      engineDone: false,
      heard: null,
      finished: false,
    };
    this.turnIndex += 1;
    this.reply = reply;
    const splitters = new Map<string, ReturnType<typeof createSentenceSplitter>>();
    const drafted = new Set<string>();
    const noteMessage = (messageId: string) => {
      if (!reply.messageIds.includes(messageId)) reply.messageIds.push(messageId);
    };
    const sink: TurnSink = {
      interrupt: interrupt.signal,
      delta: (event) => {
        noteMessage(event.messageId);
        reply.messageText.set(event.messageId, (reply.messageText.get(event.messageId) ?? '') + event.delta);
        if (interrupt.signal.aborted) return;
        let splitter = splitters.get(event.messageId);
        if (!splitter) {
          splitter = createSentenceSplitter();
          splitters.set(event.messageId, splitter);
        }
        for (const sentence of splitter.push(event.delta)) {
          reply.speaker.say({
            messageId: event.messageId,
            text: sentence,
            interruptible: event.interruptible,
          });
        }
      },
      // Speak a message as soon as the engine has it, before its step commits: the caller is waiting.
      draft: (event) => {
        if (splitters.has(event.messageId) || drafted.has(event.messageId)) return;
        drafted.add(event.messageId);
        noteMessage(event.messageId);
        reply.messageText.set(event.messageId, event.text);
        if (interrupt.signal.aborted) return;
        const whole = createSentenceSplitter();
        for (const sentence of [...whole.push(event.text), whole.flush() ?? '']) {
          if (sentence)
            reply.speaker.say({
              messageId: event.messageId,
              text: sentence,
              interruptible: event.interruptible,
            });
        }
      },
      message: (message: MessageView, info) => {
        if (message.role !== 'assistant') return;
        noteMessage(message.id);
        reply.messageText.set(message.id, message.content);
        if (interrupt.signal.aborted || drafted.has(message.id)) return;
        const splitter = splitters.get(message.id);
        if (splitter) {
          const rest = splitter.flush();
          if (rest)
            reply.speaker.say({ messageId: message.id, text: rest, interruptible: info.interruptible });
          return;
        }
        const whole = createSentenceSplitter();
        for (const sentence of [...whole.push(message.content), whole.flush() ?? '']) {
          if (sentence)
            reply.speaker.say({ messageId: message.id, text: sentence, interruptible: info.interruptible });
        }
      },
      status: () => undefined,
    };
    let result: TurnResult;
    try {
      if (this.conversationId === null) {
        result = await this.deps.backend.startConversation(call, sink);
        this.conversationId = result.conversation.id;
        await this.deps.backend.attachConversation(call, result.conversation.id);
      } else {
        result = await this.deps.backend.send(call, this.conversationId, input, sink);
      }
    } finally {
      reply.engineDone = true;
    }
    if (interrupt.signal.aborted) {
      await this.settleInterruption(reply);
    } else {
      await reply.speaker.finish();
    }
    this.afterTurn(reply, result);
  }

  /** Acts on how the flow's turn ended: wait for the caller, hang up, transfer, or fail over. */
  private afterTurn(reply: ActiveReply, result: TurnResult): void {
    const call = this.call;
    const settings = this.settings;
    if (!call || !settings || this.phase !== 'active') return;
    if (result.status !== 'success' && result.status !== 'suspended') {
      void this.providerFailure();
      return;
    }
    if (result.reason === 'ended') {
      this.afterPlayback = async () => this.hangUp('completed');
    } else if (result.reason === 'handed_off') {
      this.afterPlayback = async () => this.transfer();
    }
    if (reply.interrupt.signal.aborted) return;
    this.checkPlaybackFinished();
  }

  /** Called as marks come back: once everything queued was heard, the reply is complete. */
  private checkPlaybackFinished(): void {
    if (this.isAudible()) return;
    const reply = this.reply;
    if (reply && !reply.finished) {
      if (!reply.engineDone || reply.interrupt.signal.aborted) return;
      this.finishReply(reply);
    }
    const action = this.afterPlayback;
    if (action) {
      this.afterPlayback = null;
      void action();
      return;
    }
    if (!this.utterance && this.phase === 'active') this.armNoInput();
  }

  private finishReply(reply: ActiveReply): void {
    if (reply.finished) return;
    reply.finished = true;
    if (!reply.record.interrupted) {
      const text = reply.messageIds
        .map((id) => reply.messageText.get(id) ?? '')
        .filter(Boolean)
        .join(' ');
      reply.record.spokenText = text;
      reply.record.heardText = text;
    }
    const call = this.call;
    if (call) {
      void this.deps.backend.appendTurn(call, reply.record).catch((error: unknown) => {
        this.log('turn_record_failed', { reason: error instanceof Error ? error.message : String(error) });
      });
    }
  }

  /** Fills the latency chain once the reply's first frame went out. */
  private completeLatency(reply: ActiveReply): void {
    const t = reply.timings;
    const latency = reply.record.latency;
    if (t.firstFrame === undefined) return;
    const speechEnd = reply.speechEndAt;
    if (speechEnd !== undefined && reply.endOfTurnAt !== undefined) {
      latency.endOfTurnMs = round(reply.endOfTurnAt - speechEnd);
    }
    if (reply.endOfTurnAt !== undefined && reply.transcriptAt !== undefined) {
      latency.sttMs = round(reply.transcriptAt - reply.endOfTurnAt);
    }
    const textStart = reply.transcriptAt;
    if (textStart !== undefined && t.firstText !== undefined)
      latency.firstTextMs = round(t.firstText - textStart);
    if (t.ttsRequested !== undefined && t.ttsFirstByte !== undefined) {
      latency.ttsFirstByteMs = round(t.ttsFirstByte - t.ttsRequested);
    }
    if (t.ttsFirstByte !== undefined) latency.firstFrameMs = round(t.firstFrame - t.ttsFirstByte);
    if (speechEnd !== undefined) {
      latency.responseMs = round(t.firstFrame - speechEnd);
      this.deps.metrics.turnLatency(latency.responseMs);
      // What this node added: the response time minus the configured end-of-turn silence and the
      // speech providers' own time (an LLM provider's time to first token is still inside).
      const providers = (latency.endOfTurnMs ?? 0) + (latency.sttMs ?? 0) + (latency.ttsFirstByteMs ?? 0);
      latency.serverAddedMs = round(latency.responseMs - providers);
      this.deps.metrics.serverAdded(latency.serverAddedMs);
    }
  }

  private clearNoInput(): void {
    if (this.noInputTimer) clearTimeout(this.noInputTimer);
    this.noInputTimer = null;
  }

  /** After the agent finished speaking, silence re-prompts a few times, then the call ends. */
  private armNoInput(): void {
    const settings = this.settings;
    if (!settings || this.noInputTimer || this.phase !== 'active') return;
    this.noInputTimer = setTimeout(() => {
      this.noInputTimer = null;
      if (this.utterance || this.isAudible() || this.isReplyActive()) return;
      this.noInputCount += 1;
      if (this.noInputCount > settings.maxNoInput) {
        void this.sayThen(settings.goodbye, async () => this.hangUp('no_input'));
        return;
      }
      void this.sayThen(settings.noInputPrompt, async () => undefined);
    }, settings.noInputTimeoutMs);
    this.noInputTimer.unref?.();
  }

  /** Speaks a fixed line (not part of the flow) and runs `then` once it was heard. */
  private async sayThen(text: string, then: () => Promise<void>): Promise<void> {
    const tts = this.tts;
    if (!tts) return then();
    this.tracker.newGeneration();
    const timings: ReplyTimings = {};
    const speaker = createReplySpeaker({
      tts,
      pacer: this.pacer,
      tracker: this.tracker,
      now: this.now,
      timings,
      onError: () => void this.hangUp('provider_failure'),
    });
    speaker.say({ messageId: 'system', text, interruptible: true });
    this.afterPlayback = then;
    await speaker.finish();
    this.checkPlaybackFinished();
  }

  /**
   * A provider (or the engine) failed mid-call: say the fallback line with audio made offline, then
   * transfer when a number is set, else end the call cleanly.
   */
  private async providerFailure(): Promise<void> {
    if (this.phase !== 'active' && this.phase !== 'starting') return;
    this.deps.metrics.providerFailure();
    const settings = this.settings;
    this.reply?.speaker.abort();
    this.reply?.interrupt.abort();
    this.pacer.clear();
    this.tracker.clear();
    this.phase = 'ending';
    this.endReason = 'provider_failure';
    const line = settings?.fallbackLine ?? "I'm sorry, I'm having trouble right now.";
    const audio = await this.deps.fallbackAudio(line).catch(() => null);
    const target = settings ? transferNumberFor(settings, null) : undefined;
    const next = async () => {
      if (target) await this.transfer(target);
      else await this.hangUp('provider_failure');
    };
    if (!audio || this.socket.readyState !== this.socket.OPEN) return next();
    this.tracker.newGeneration();
    const segment = this.tracker.addSegment({ messageId: 'fallback', text: line, interruptible: false });
    for (let offset = 0; offset < audio.length; offset += 160) {
      const frame = new Uint8Array(160).fill(0xff);
      frame.set(audio.subarray(offset, Math.min(offset + 160, audio.length)));
      this.pacer.enqueueAudio(frame);
    }
    this.pacer.enqueueMark(this.tracker.markAfter(segment, Math.ceil(audio.length / 160) * 20));
    this.afterPlayback = next;
    // If the caller hangs up or marks never come back, don't wait forever.
    setTimeout(
      () => {
        if (this.afterPlayback === next) {
          this.afterPlayback = null;
          void next();
        }
      },
      Math.ceil(audio.length / 8) + 3000,
    ).unref?.();
  }

  private async transfer(explicit?: string): Promise<void> {
    const call = this.call;
    const settings = this.settings;
    if (!call || !settings) return this.hangUp('error');
    let target = explicit;
    if (!target && this.conversationId) {
      const handoff = await this.deps.backend.latestHandoff(call, this.conversationId).catch(() => null);
      target = transferNumberFor(settings, handoff?.queue ?? null);
      if (handoff?.summary) this.summary = handoff.summary;
    }
    if (!target) {
      // Nobody to transfer to: say so through the normal goodbye and end.
      return this.sayThen(settings.goodbye, async () => this.hangUp('completed'));
    }
    this.transferTo = target;
    this.phase = 'ending';
    this.endReason = 'transfer';
    try {
      await this.deps.control.transfer(this.callSid, {
        to: target,
        say: settings.transfer.say,
        ...(settings.transfer.callerId ? { callerId: settings.transfer.callerId } : {}),
        ...(this.summary ? { summary: this.summary } : {}),
      });
    } catch (error) {
      this.log('transfer_failed', { reason: error instanceof Error ? error.message : String(error) });
      this.endReason = 'error';
    }
    // Twilio ends the stream itself when the call's TwiML is replaced; close if it does not.
    setTimeout(() => this.close(this.endReason, 1000, 'transferred'), 2000).unref?.();
  }

  private async hangUp(reason: EndReason): Promise<void> {
    this.phase = 'ending';
    this.endReason = reason;
    // Closing the socket ends <Connect><Stream>; the <Hangup/> after it ends the call.
    this.close(reason, 1000, 'call ended');
  }

  /** Ends a call from outside (node drain): finish the current reply, then end. */
  async drain(deadlineMs: number): Promise<void> {
    const deadline = setTimeout(() => this.close('drained', 1001, 'node shutting down'), deadlineMs);
    deadline.unref?.();
    if (this.phase === 'active' && !this.isAudible() && !this.isReplyActive()) {
      await this.hangUp('drained');
    } else if (this.phase === 'active') {
      this.afterPlayback = async () => this.hangUp('drained');
    }
    await this.ended;
    clearTimeout(deadline);
  }

  private close(reason: EndReason, code: number, text: string): void {
    if (this.phase !== 'ended') this.endReason = this.phase === 'ending' ? this.endReason : reason;
    this.phase = this.phase === 'ended' ? 'ended' : 'ending';
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, text);
    }
    void this.finish(this.endReason);
  }

  private async finish(reason: EndReason): Promise<void> {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    if (this.startTimer) clearTimeout(this.startTimer);
    this.clearNoInput();
    if (this.digitTimer) clearTimeout(this.digitTimer);
    this.deps.metrics.frameJitter(this.pacer.jitterSamples());
    this.pacer.close();
    this.reply?.speaker.abort();
    this.reply?.interrupt.abort();
    this.sttSession?.close();
    this.bridge?.close();
    const call = this.call;
    try {
      if (call) {
        const reply = this.reply;
        if (reply && !reply.finished) {
          await this.turnChain.catch(() => undefined);
          if (!reply.finished) this.finishReply(reply);
        }
        if (this.conversationId) {
          await this.deps.backend
            .endConversation(call, this.conversationId, reason === 'transfer' ? 'escalated' : 'abandoned')
            .catch(() => undefined);
        }
        await this.deps.backend.finishCall(call, {
          status: reason === 'error' || reason === 'provider_failure' ? 'failed' : 'completed',
          endReason: reason,
          ...(this.transferTo ? { transferTo: this.transferTo } : {}),
          ...(this.summary ? { summary: this.summary } : {}),
        });
      }
    } catch (error) {
      this.log('finish_failed', { reason: error instanceof Error ? error.message : String(error) });
    } finally {
      if (this.counted) this.deps.metrics.callEnded(reason);
      this.resolveEnded();
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
