import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import {
  parseRelayServerMessage,
  type RelayOutboundMessage,
} from '../../../voice-node/src/twilio/relay-messages.ts';
import { openTwilioSocket, type TwilioSocketOptions } from './twilio-socket.ts';
import { createWaiters } from './waiting.ts';

/**
 * A simulated ConversationRelay session as Twilio runs it: sends `setup`, then the caller's
 * `prompt`s, `interrupt`s and `dtmf`; receives our `text` tokens and assembles them into talk cycles
 * (closed by `last: true`, or cut by an interrupt), records `play`, `sendDigits`, `language` and
 * `end` (with `handoffData` parsed from its JSON string). Invalid messages are answered with an
 * `error` message, like Twilio's, and recorded; after `end` Twilio closes the socket, so we do too.
 */

/** Options of `connectRelayCaller`: the socket plus the `setup` fields. */
export interface RelayCallerOptions extends TwilioSocketOptions {
  callSid: string;
  accountSid: string;
  /** Generated (`VX` + 32 hex) when omitted. */
  sessionId?: string;
  from?: string;
  to?: string;
  direction?: 'inbound' | 'outbound';
  callerName?: string;
  callType?: string;
  callStatus?: string;
  parentCallSid?: string;
  forwardedFrom?: string;
  customParameters?: Record<string, string>;
  /** Close the socket after an `end` message (default true, as Twilio does). */
  closeOnEnd?: boolean;
}

/** The tokens of one agent turn. */
export interface RelayTalkCycle {
  tokens: string[];
  text: string;
  startedAt: number;
  endedAt: number | undefined;
  /** Closed by a `last: true` token. */
  complete: boolean;
  /** Cut short by the caller's `interrupt`. */
  interrupted: boolean;
}

/** One message our server sent. */
export interface RelayMessageRecord {
  at: number;
  raw: string;
  message: RelayOutboundMessage | undefined;
  error: string | undefined;
}

/** An `end` message, with `handoffData` parsed (undefined when absent, the raw string if not JSON). */
export interface RelayEnd {
  at: number;
  handoffData: unknown;
}

/** A connected simulated ConversationRelay session. */
export interface RelayCaller {
  readonly sessionId: string;
  readonly messages: readonly RelayMessageRecord[];
  /** Closed talk cycles, in order. */
  readonly talkCycles: readonly RelayTalkCycle[];
  readonly ends: readonly RelayEnd[];
  readonly protocolErrors: readonly string[];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  isOpen(): boolean;
  now(): number;
  /** The talk cycle tokens are arriving for, if any. */
  currentCycle(): RelayTalkCycle | undefined;
  prompt(text: string, options?: { lang?: string; last?: boolean }): void;
  /** Barge-in: reports what was spoken so far and closes the current talk cycle as interrupted. */
  interrupt(utteranceUntilInterrupt: string, durationUntilInterruptMs: number): void;
  dtmf(digit: string): void;
  sendRaw(text: string): void;
  hangup(): Promise<{ code: number; reason: string; at: number }>;
  waitFor(predicate: () => boolean, timeoutMs?: number, description?: string): Promise<void>;
  /** Resolves with the `count`-th closed talk cycle (1-based). */
  waitForTalkCycle(count?: number, timeoutMs?: number): Promise<RelayTalkCycle>;
  waitForEnd(timeoutMs?: number): Promise<RelayEnd>;
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parseHandoff(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

class SimulatedRelayCaller implements RelayCaller {
  readonly sessionId: string;
  readonly messages: RelayMessageRecord[] = [];
  readonly talkCycles: RelayTalkCycle[] = [];
  readonly ends: RelayEnd[] = [];
  readonly protocolErrors: string[] = [];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  private readonly origin = performance.now();
  private readonly waiters = createWaiters();
  private current: RelayTalkCycle | undefined;
  private open = true;
  private resolveClosed: (info: { code: number; reason: string; at: number }) => void = () => {};

  constructor(
    private readonly socket: WebSocket,
    private readonly options: RelayCallerOptions,
  ) {
    this.sessionId = options.sessionId ?? `VX${randomBytes(16).toString('hex')}`;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('error', () => {});
    socket.on('close', (code, reason) => {
      this.open = false;
      this.resolveClosed({ code, reason: reason.toString('utf8'), at: this.now() });
      this.waiters.notify();
    });
    this.send({
      type: 'setup',
      sessionId: this.sessionId,
      accountSid: options.accountSid,
      callSid: options.callSid,
      parentCallSid: options.parentCallSid ?? '',
      from: options.from ?? '+15551230001',
      to: options.to ?? '+15559870002',
      forwardedFrom: options.forwardedFrom ?? '',
      callerName: options.callerName ?? '',
      direction: options.direction ?? 'inbound',
      callType: options.callType ?? 'PSTN',
      callStatus: options.callStatus ?? 'RINGING',
      customParameters: { ...options.customParameters },
    });
  }

  now(): number {
    return performance.now() - this.origin;
  }

  isOpen(): boolean {
    return this.open;
  }

  currentCycle(): RelayTalkCycle | undefined {
    return this.current;
  }

  private send(message: object): void {
    if (this.open && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private fail(raw: string, reason: string): void {
    this.messages.push({ at: this.now(), raw, message: undefined, error: reason });
    this.protocolErrors.push(reason);
    this.send({ type: 'error', description: `Invalid message received: ${reason}` });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (!this.open) return;
    const raw = isBinary ? '<binary>' : rawToString(data);
    const parsed = isBinary
      ? { ok: false as const, reason: 'binary frame (ConversationRelay expects JSON text frames)' }
      : parseRelayServerMessage(raw);
    if (!parsed.ok) {
      this.fail(raw, parsed.reason);
      this.waiters.notify();
      return;
    }
    const message = parsed.message;
    const at = this.now();
    this.messages.push({ at, raw, message, error: undefined });
    if (message.type === 'text') {
      const cycle = this.current ?? {
        tokens: [],
        text: '',
        startedAt: at,
        endedAt: undefined,
        complete: false,
        interrupted: false,
      };
      this.current = cycle;
      cycle.tokens.push(message.token);
      cycle.text += message.token;
      if (message.last) this.closeCycle({ complete: true, interrupted: false });
    } else if (message.type === 'end') {
      this.ends.push({ at, handoffData: parseHandoff(message.handoffData) });
      if (this.options.closeOnEnd !== false) this.socket.close(1000, 'session ended');
    }
    this.waiters.notify();
  }

  private closeCycle(outcome: { complete: boolean; interrupted: boolean }): void {
    const cycle = this.current;
    if (cycle === undefined) return;
    cycle.complete = outcome.complete;
    cycle.interrupted = outcome.interrupted;
    cycle.endedAt = this.now();
    this.talkCycles.push(cycle);
    this.current = undefined;
  }

  prompt(text: string, options: { lang?: string; last?: boolean } = {}): void {
    this.send({
      type: 'prompt',
      voicePrompt: text,
      lang: options.lang ?? 'en-US',
      last: options.last ?? true,
    });
  }

  interrupt(utteranceUntilInterrupt: string, durationUntilInterruptMs: number): void {
    this.closeCycle({ complete: false, interrupted: true });
    this.send({ type: 'interrupt', utteranceUntilInterrupt, durationUntilInterruptMs });
    this.waiters.notify();
  }

  dtmf(digit: string): void {
    if (!/^[0-9*#]$/.test(digit)) throw new Error(`not a DTMF digit: ${digit}`);
    this.send({ type: 'dtmf', digit });
  }

  sendRaw(text: string): void {
    if (this.open) this.socket.send(text);
  }

  hangup(): Promise<{ code: number; reason: string; at: number }> {
    if (this.open) this.socket.close(1000, 'caller hung up');
    return this.closed;
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000, description = 'a condition'): Promise<void> {
    return this.waiters.waitFor(predicate, timeoutMs, description);
  }

  async waitForTalkCycle(count = this.talkCycles.length + 1, timeoutMs = 5000): Promise<RelayTalkCycle> {
    await this.waitFor(() => this.talkCycles.length >= count, timeoutMs, `talk cycle #${count}`);
    const cycle = this.talkCycles[count - 1];
    if (cycle === undefined) throw new Error(`talk cycle #${count} missing`);
    return cycle;
  }

  async waitForEnd(timeoutMs = 5000): Promise<RelayEnd> {
    await this.waitFor(() => this.ends.length > 0, timeoutMs, 'an end message');
    const ended = this.ends[0];
    if (ended === undefined) throw new Error('end missing');
    return ended;
  }
}

/** Connects a simulated ConversationRelay session and sends `setup`. */
export async function connectRelayCaller(options: RelayCallerOptions): Promise<RelayCaller> {
  const socket = await openTwilioSocket(options);
  return new SimulatedRelayCaller(socket, options);
}
