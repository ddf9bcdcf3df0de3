import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import {
  encodeBase64Payload,
  type MediaStreamOutboundMessage,
  parseOutboundMediaMessage,
} from '../../../voice-node/src/twilio/media-messages.ts';
import { BYTES_PER_MS, Playout } from './playout.ts';
import { openTwilioSocket, type TwilioSocketOptions } from './twilio-socket.ts';
import { createWaiters } from './waiting.ts';

/**
 * A simulated phone caller on a Twilio Media Stream, speaking the exact wire protocol to our server:
 * `connected`, `start` (string sequence numbers from "1", μ-law/8000/1, tracks ['inbound']), then a
 * `media` frame of 160 bytes every 20 ms (silence 0xFF when the caller says nothing, like a real
 * line), `dtmf` and `stop`. Outbound audio is played by the caller's clock through `Playout`, marks
 * are echoed when played and `clear` echoes all pending marks at once, as Twilio does. Everything is
 * recorded with arrival times for assertions and for the benchmark's latency and jitter figures.
 */

export { connectRelayCaller, type RelayCaller, type RelayCallerOptions } from './relay-caller.ts';
export { WebSocketUpgradeError } from './twilio-socket.ts';

const FRAME_BYTES = 160;
const FRAME_MS = 20;
const SILENCE = 0xff;

/** Options of `connectMediaStreamCaller`. */
export interface MediaStreamCallerOptions extends TwilioSocketOptions {
  callSid: string;
  accountSid: string;
  /** Generated (`MZ` + 32 hex) when omitted. */
  streamSid?: string;
  /** Sent in `start.customParameters` (the TwiML's `<Parameter>`s). */
  customParameters?: Record<string, string>;
  /** Pace inbound media at one frame per 20 ms (default true); false sends queued audio at once. */
  realtime?: boolean;
  /** In real time, send 0xFF silence frames when there is nothing to say (default true). */
  silenceWhenIdle?: boolean;
  /** Send the `connected` frame before `start` (default true). */
  sendConnected?: boolean;
}

/** One message our server sent, with its arrival time (ms since the socket opened). */
export interface ServerMessageRecord {
  at: number;
  raw: string;
  /** Undefined when the message broke the protocol (see `error`). */
  message: MediaStreamOutboundMessage | undefined;
  error: string | undefined;
}

/** A mark Twilio echoed: after its audio played, or at once because of a clear. */
export interface MarkEcho {
  name: string;
  at: number;
  cleared: boolean;
}

/** How the stream ended. */
export interface CloseInfo {
  code: number;
  reason: string;
  at: number;
  by: 'server' | 'caller';
}

/** A connected simulated caller. */
export interface MediaStreamCaller {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly customParameters: Readonly<Record<string, string>>;
  /** Every message the server sent, in order. */
  readonly messages: readonly ServerMessageRecord[];
  /** Arrival time and size of every outbound media frame (for jitter). */
  readonly mediaFrames: readonly { at: number; bytes: number }[];
  /** Arrival times of `clear` messages. */
  readonly clears: readonly number[];
  readonly markEchoes: readonly MarkEcho[];
  /** Messages that broke the protocol (empty for a well-behaved server). */
  readonly protocolErrors: readonly string[];
  /** `media` frames the caller sent so far (speech and silence). */
  readonly framesSent: number;
  readonly closed: Promise<CloseInfo>;
  isOpen(): boolean;
  /** Milliseconds since the socket opened (the caller's clock). */
  now(): number;
  /** Queues caller speech (raw μ-law 8 kHz); sent as 160-byte frames. */
  sendAudio(mulaw: Uint8Array): void;
  /** Milliseconds of caller speech queued but not yet sent. */
  pendingAudioMs(): number;
  sendDtmf(digit: string): void;
  /** Sends any text frame (attack and robustness tests). */
  sendRaw(text: string): void;
  /** Sends `stop` and closes, as Twilio does when the caller hangs up. */
  hangup(): Promise<CloseInfo>;
  /** Audio the caller has actually heard (played and not cleared). */
  heardAudio(): Uint8Array;
  /** Every byte of outbound audio received, cleared or not. */
  receivedAudio(): Uint8Array;
  /** Milliseconds of outbound audio still buffered for playback. */
  bufferedMs(): number;
  waitFor(predicate: () => boolean, timeoutMs?: number, description?: string): Promise<void>;
  waitForMessage(
    match: (message: MediaStreamOutboundMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ServerMessageRecord>;
  /** Resolves when queued caller speech has all been sent. */
  audioSent(timeoutMs?: number): Promise<void>;
  /** Resolves when playback is idle and no mark is pending. */
  playbackIdle(timeoutMs?: number): Promise<void>;
  /** Resolves when playback is idle and the server has sent nothing for `quietMs`. */
  waitForSilence(quietMs?: number, timeoutMs?: number): Promise<void>;
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

class SimulatedMediaCaller implements MediaStreamCaller {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly messages: ServerMessageRecord[] = [];
  readonly mediaFrames: { at: number; bytes: number }[] = [];
  readonly clears: number[] = [];
  readonly markEchoes: MarkEcho[] = [];
  readonly protocolErrors: string[] = [];
  framesSent = 0;
  readonly closed: Promise<CloseInfo>;

  private readonly origin = performance.now();
  private readonly playout = new Playout(() => this.now());
  private readonly waiters = createWaiters();
  private readonly received: Uint8Array[] = [];
  private readonly queue: Uint8Array[] = [];
  private queueOffset = 0;
  private sequence = 0;
  private chunk = 0;
  private tick = 0;
  private nextTickAt = 0;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private markTimer: ReturnType<typeof setTimeout> | undefined;
  private lastServerMessageAt = 0;
  private closingByCaller = false;
  private open = true;
  private resolveClosed: (info: CloseInfo) => void = () => {};

  constructor(
    private readonly socket: WebSocket,
    private readonly options: MediaStreamCallerOptions,
  ) {
    this.streamSid = options.streamSid ?? `MZ${randomBytes(16).toString('hex')}`;
    this.callSid = options.callSid;
    this.accountSid = options.accountSid;
    this.customParameters = { ...options.customParameters };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('error', () => {});
    socket.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    if (options.sendConnected !== false)
      this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: this.accountSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    if (options.realtime !== false) {
      this.nextTickAt = this.now();
      this.pace();
    }
  }

  now(): number {
    return performance.now() - this.origin;
  }

  isOpen(): boolean {
    return this.open;
  }

  private nextSequence(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  private send(message: object): void {
    if (this.open && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private readonly pace = (): void => {
    this.tickTimer = undefined;
    if (!this.open) return;
    const now = this.now();
    while (this.nextTickAt <= now && this.open) {
      this.tick += 1;
      const frame = this.takeFrame(this.options.silenceWhenIdle !== false);
      if (frame !== undefined) this.sendFrame(frame);
      this.nextTickAt += FRAME_MS;
    }
    // Absolute deadlines: a late timer sends the missed frames at once instead of drifting.
    this.tickTimer = setTimeout(this.pace, Math.max(0, Math.ceil(this.nextTickAt - this.now())));
  };

  private queuedBytes(): number {
    return this.queue.reduce((sum, part) => sum + part.length, 0) - this.queueOffset;
  }

  /** The next 160-byte frame of speech (padded with silence), silence, or nothing. */
  private takeFrame(silenceWhenIdle: boolean): Uint8Array | undefined {
    if (this.queue.length === 0)
      return silenceWhenIdle ? new Uint8Array(FRAME_BYTES).fill(SILENCE) : undefined;
    const frame = new Uint8Array(FRAME_BYTES).fill(SILENCE);
    let filled = 0;
    while (filled < FRAME_BYTES && this.queue.length > 0) {
      const head = this.queue[0] ?? new Uint8Array();
      const take = Math.min(FRAME_BYTES - filled, head.length - this.queueOffset);
      frame.set(head.subarray(this.queueOffset, this.queueOffset + take), filled);
      filled += take;
      this.queueOffset += take;
      if (this.queueOffset >= head.length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    }
    return frame;
  }

  private sendFrame(frame: Uint8Array): void {
    this.chunk += 1;
    this.framesSent += 1;
    this.send({
      event: 'media',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String(this.tick * FRAME_MS),
        payload: encodeBase64Payload(frame),
      },
    });
  }

  sendAudio(mulaw: Uint8Array): void {
    if (mulaw.length === 0) return;
    this.queue.push(mulaw.slice());
    if (this.options.realtime === false) {
      while (this.queue.length > 0) {
        this.tick += 1;
        const frame = this.takeFrame(false);
        if (frame !== undefined) this.sendFrame(frame);
      }
    }
  }

  pendingAudioMs(): number {
    return this.queuedBytes() / BYTES_PER_MS;
  }

  sendDtmf(digit: string): void {
    if (!/^[0-9*#]$/.test(digit)) throw new Error(`not a DTMF digit: ${digit}`);
    this.send({
      event: 'dtmf',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  sendRaw(text: string): void {
    if (this.open) this.socket.send(text);
  }

  hangup(): Promise<CloseInfo> {
    if (this.open && !this.closingByCaller) {
      this.stopClock();
      this.send({
        event: 'stop',
        sequenceNumber: this.nextSequence(),
        streamSid: this.streamSid,
        stop: { accountSid: this.accountSid, callSid: this.callSid },
      });
      this.closingByCaller = true;
      this.socket.close(1000, 'caller hung up');
    }
    return this.closed;
  }

  private stopClock(): void {
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer);
    if (this.markTimer !== undefined) clearTimeout(this.markTimer);
    this.tickTimer = undefined;
    this.markTimer = undefined;
  }

  private onClose(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.stopClock();
    this.resolveClosed({ code, reason, at: this.now(), by: this.closingByCaller ? 'caller' : 'server' });
    this.waiters.notify();
  }

  private record(
    raw: string,
    message: MediaStreamOutboundMessage | undefined,
    error: string | undefined,
  ): void {
    const at = this.now();
    this.lastServerMessageAt = at;
    this.messages.push({ at, raw, message, error });
    if (error !== undefined) this.protocolErrors.push(error);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (!this.open || this.closingByCaller) return;
    if (isBinary) {
      this.record('<binary>', undefined, 'binary frame (Twilio expects JSON text frames)');
      this.waiters.notify();
      return;
    }
    const raw = rawToString(data);
    const parsed = parseOutboundMediaMessage(raw);
    if (!parsed.ok) {
      this.record(raw, undefined, parsed.reason);
    } else if (parsed.message.streamSid !== this.streamSid) {
      this.record(
        raw,
        undefined,
        `streamSid ${parsed.message.streamSid} is not this stream's ${this.streamSid}`,
      );
    } else {
      const message = parsed.message;
      this.record(raw, message, undefined);
      if (message.event === 'media') {
        this.mediaFrames.push({ at: this.now(), bytes: message.audio.length });
        this.received.push(message.audio);
        this.playout.enqueueAudio(message.audio);
      } else if (message.event === 'mark') {
        this.playout.enqueueMark(message.mark.name);
        this.echoDueMarks();
      } else {
        this.clears.push(this.now());
        for (const name of this.playout.clear()) this.echoMark(name, true);
        this.echoDueMarks();
      }
    }
    this.waiters.notify();
  }

  private echoMark(name: string, cleared: boolean): void {
    this.markEchoes.push({ name, at: this.now(), cleared });
    this.send({
      event: 'mark',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      mark: { name },
    });
  }

  private echoDueMarks(): void {
    if (this.markTimer !== undefined) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    if (!this.open) return;
    for (const name of this.playout.takeDueMarks()) this.echoMark(name, false);
    const due = this.playout.nextMarkDue();
    if (due !== undefined) {
      this.markTimer = setTimeout(
        () => {
          this.markTimer = undefined;
          this.echoDueMarks();
          this.waiters.notify();
        },
        Math.max(1, Math.ceil(due - this.now())),
      );
    }
  }

  heardAudio(): Uint8Array {
    return this.playout.heard();
  }

  receivedAudio(): Uint8Array {
    return concat(this.received);
  }

  bufferedMs(): number {
    return this.playout.bufferedMs();
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000, description = 'a condition'): Promise<void> {
    return this.waiters.waitFor(predicate, timeoutMs, description);
  }

  async waitForMessage(
    match: (message: MediaStreamOutboundMessage) => boolean,
    timeoutMs = 5000,
  ): Promise<ServerMessageRecord> {
    const find = () => this.messages.find((record) => record.message !== undefined && match(record.message));
    await this.waitFor(() => find() !== undefined, timeoutMs, 'a matching server message');
    const found = find();
    if (found === undefined) throw new Error('matching message vanished');
    return found;
  }

  audioSent(timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.queue.length === 0 || !this.open, timeoutMs, 'caller audio to be sent');
  }

  playbackIdle(timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.playout.idle(), timeoutMs, 'playback to finish');
  }

  waitForSilence(quietMs = 300, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(
      () => this.playout.idle() && this.now() - this.lastServerMessageAt >= quietMs,
      timeoutMs,
      `${quietMs} ms without server messages`,
    );
  }
}

/** Connects a simulated caller's Media Stream; rejects with `WebSocketUpgradeError` on refusal. */
export async function connectMediaStreamCaller(
  options: MediaStreamCallerOptions,
): Promise<MediaStreamCaller> {
  const socket = await openTwilioSocket(options);
  return new SimulatedMediaCaller(socket, options);
}
