import type { MessageView, TurnResult, TurnSink } from '@lumay/shared';
import type { WebSocket } from 'ws';
import { end as endMessage, parseRelayMessage, textToken } from '../twilio/relay-messages.ts';
import type { CallerInput, CallTurnRecord, ClaimedCall, VoiceBackend } from './backend.ts';
import type { VoiceMetrics } from './metrics.ts';
import { type AgentVoiceSettings, transferNumberFor } from './settings.ts';

interface RelayReply {
  interrupt: AbortController;
  messageIds: string[];
  messageText: Map<string, string>;
  record: CallTurnRecord;
  startedAt: number;
  done: boolean;
  /** The turn record was stored (deferred: Twilio reports an interrupt after the text went out). */
  recorded: boolean;
}

/**
 * One call over Twilio ConversationRelay: Twilio does speech-to-text and text-to-speech, we exchange
 * text. Prompts run flow turns whose text streams back as `text` tokens (`last: true` closes a talk
 * cycle); `interrupt` says what the caller heard, so the reply is cut to it; a handoff ends the
 * session with `handoffData` for the `<Connect action>` URL, which dials the transfer number.
 */
export class RelayCall {
  private call: ClaimedCall | null = null;
  private settings: AgentVoiceSettings | null = null;
  private conversationId: string | null = null;
  private reply: RelayReply | null = null;
  private lastReply: RelayReply | null = null;
  private chain: Promise<void> = Promise.resolve();
  private turnIndex = 0;
  private phase: 'awaiting_setup' | 'active' | 'ended' = 'awaiting_setup';
  private readonly now = () => performance.now();
  readonly ended: Promise<void>;
  private resolveEnded: () => void = () => undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: {
      backend: VoiceBackend;
      metrics: VoiceMetrics;
      log?: (event: string, data: Record<string, unknown>) => void;
    },
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.deps.metrics.badFrame();
      this.onMessage(data.toString());
    });
    socket.on('close', () => void this.finish('hangup'));
    socket.on('error', () => void this.finish('error'));
  }

  private send(payload: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(payload);
  }

  private onMessage(text: string): void {
    const parsed = parseRelayMessage(text);
    if (!parsed.ok) {
      this.deps.metrics.badFrame();
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'setup':
        if (this.phase === 'awaiting_setup') void this.begin(message.callSid, message.customParameters ?? {});
        return;
      case 'prompt':
        if (this.phase === 'active' && message.last !== false && message.voicePrompt.trim() !== '') {
          this.enqueue({ text: message.voicePrompt.trim() }, 'speech');
        }
        return;
      case 'dtmf':
        if (this.phase === 'active') this.enqueue({ digits: message.digit }, 'dtmf');
        return;
      case 'interrupt':
        void this.onInterrupt(message.utteranceUntilInterrupt ?? '');
        return;
      default:
        return;
    }
  }

  private async begin(callSid: string, parameters: Record<string, string>): Promise<void> {
    const { tenantId, callId, token } = parameters;
    if (!tenantId || !callId || !token) {
      this.socket.close(1008, 'missing parameters');
      return;
    }
    try {
      this.call = await this.deps.backend.claimStream({ tenantId, callId, callSid, token });
      this.settings = await this.deps.backend.agentSettings(tenantId, this.call.agentId);
    } catch {
      this.deps.metrics.rejected();
      this.socket.close(1008, 'stream token refused');
      return;
    }
    this.phase = 'active';
    this.deps.metrics.callStarted();
    this.enqueue({}, 'opening');
  }

  private enqueue(input: CallerInput, kind: CallTurnRecord['kind']): void {
    this.chain = this.chain
      .then(() => this.turn(input, kind))
      .catch((error: unknown) => {
        this.deps.log?.('turn_failed', { reason: error instanceof Error ? error.message : String(error) });
        this.send(textToken(this.settings?.fallbackLine ?? "I'm sorry, I'm having trouble right now.", true));
        this.endSession();
      });
  }

  private async turn(input: CallerInput, kind: CallTurnRecord['kind']): Promise<void> {
    const call = this.call;
    if (!call || this.phase !== 'active') return;
    // The caller spoke again: the previous reply's record (interrupted or not) is final now.
    await this.recordTurn(this.lastReply);
    const reply: RelayReply = {
      interrupt: new AbortController(),
      messageIds: [],
      messageText: new Map(),
      startedAt: this.now(),
      done: false,
      recorded: false,
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
    };
    this.turnIndex += 1;
    this.reply = reply;
    const streamed = new Set<string>();
    const firstToken = () => {
      if (reply.record.latency.firstTextMs === undefined) {
        reply.record.latency.firstTextMs = Math.round(this.now() - reply.startedAt);
      }
    };
    const note = (id: string) => {
      if (!reply.messageIds.includes(id)) reply.messageIds.push(id);
    };
    const sink: TurnSink = {
      interrupt: reply.interrupt.signal,
      delta: (event) => {
        note(event.messageId);
        streamed.add(event.messageId);
        reply.messageText.set(event.messageId, (reply.messageText.get(event.messageId) ?? '') + event.delta);
        if (reply.interrupt.signal.aborted) return;
        firstToken();
        this.send(textToken(event.delta, false, { interruptible: event.interruptible }));
      },
      message: (message: MessageView, info) => {
        if (message.role !== 'assistant') return;
        note(message.id);
        reply.messageText.set(message.id, message.content);
        if (reply.interrupt.signal.aborted || streamed.has(message.id)) return;
        firstToken();
        const separator = reply.messageIds.length > 1 ? ' ' : '';
        this.send(textToken(separator + message.content, false, { interruptible: info.interruptible }));
      },
      status: () => undefined,
    };
    let result: TurnResult;
    if (this.conversationId === null) {
      result = await this.deps.backend.startConversation(call, sink);
      this.conversationId = result.conversation.id;
      await this.deps.backend.attachConversation(call, result.conversation.id);
    } else {
      result = await this.deps.backend.send(call, this.conversationId, input, sink);
    }
    reply.done = true;
    this.lastReply = reply;
    if (!reply.interrupt.signal.aborted) this.send(textToken('', true));
    const text = reply.messageIds
      .map((id) => reply.messageText.get(id) ?? '')
      .filter(Boolean)
      .join(' ');
    reply.record.spokenText = text;
    if (!reply.record.interrupted) reply.record.heardText = text;
    if (result.status === 'success' && result.reason === 'ended') this.endSession();
    else if (result.status === 'success' && result.reason === 'handed_off') await this.handoff();
    else if (result.status !== 'success' && result.status !== 'suspended') {
      this.send(textToken(this.settings?.fallbackLine ?? "I'm sorry, I'm having trouble right now.", true));
      this.endSession();
    }
  }

  /** Stores a finished reply's turn record once. */
  private async recordTurn(reply: RelayReply | null): Promise<void> {
    const call = this.call;
    if (!call || !reply?.done || reply.recorded) return;
    reply.recorded = true;
    await this.deps.backend.appendTurn(call, reply.record).catch(() => undefined);
  }

  /** Twilio says the caller spoke over the reply: cut the reply to what was spoken before. */
  private async onInterrupt(heard: string): Promise<void> {
    const reply = this.reply && !this.reply.done ? this.reply : this.lastReply;
    const call = this.call;
    if (!reply || !call || !this.conversationId) return;
    reply.interrupt.abort();
    reply.record.interrupted = true;
    reply.record.heardText = heard;
    if (!reply.done) await this.chain.catch(() => undefined);
    let remaining = heard.trim();
    for (const messageId of reply.messageIds) {
      const full = (reply.messageText.get(messageId) ?? '').trim();
      let cut: string;
      if (remaining.length >= full.length && remaining.startsWith(full)) {
        cut = full;
        remaining = remaining.slice(full.length).trim();
      } else {
        cut = full.startsWith(remaining) ? remaining : '';
        remaining = '';
      }
      if (cut !== full) {
        await this.deps.backend
          .recordInterruption(call, this.conversationId, messageId, cut)
          .catch(() => undefined);
      }
    }
    this.deps.metrics.bargeIn(0);
  }

  private async handoff(): Promise<void> {
    const call = this.call;
    const settings = this.settings;
    if (!call || !settings || !this.conversationId) return this.endSession();
    const handoff = await this.deps.backend.latestHandoff(call, this.conversationId).catch(() => null);
    const transferTo = transferNumberFor(settings, handoff?.queue ?? null);
    this.endSession({
      reasonCode: 'live-agent-handoff',
      reason: handoff?.reason ?? 'handoff',
      ...(handoff?.queue ? { queue: handoff.queue } : {}),
      ...(handoff?.summary ? { summary: handoff.summary } : {}),
      ...(transferTo ? { transferTo } : {}),
      callId: call.callId,
    });
  }

  private endSession(handoffData?: Record<string, unknown>): void {
    this.send(endMessage(handoffData));
    setTimeout(() => {
      if (this.socket.readyState === this.socket.OPEN) this.socket.close(1000, 'session ended');
    }, 500).unref?.();
    void this.finish(handoffData ? 'transfer' : 'completed', handoffData);
  }

  async drain(deadlineMs: number): Promise<void> {
    const timer = setTimeout(() => this.socket.close(1001, 'node shutting down'), deadlineMs);
    timer.unref?.();
    await this.chain.catch(() => undefined);
    if (this.phase === 'active') this.endSession();
    await this.ended;
    clearTimeout(timer);
  }

  private async finish(reason: string, handoffData?: Record<string, unknown>): Promise<void> {
    if (this.phase === 'ended') return;
    const wasActive = this.phase === 'active';
    this.phase = 'ended';
    this.reply?.interrupt.abort();
    const call = this.call;
    try {
      if (call) {
        await this.recordTurn(this.lastReply);
        if (this.conversationId && reason === 'hangup') {
          await this.deps.backend
            .endConversation(call, this.conversationId, 'abandoned')
            .catch(() => undefined);
        }
        const transferTo = typeof handoffData?.transferTo === 'string' ? handoffData.transferTo : undefined;
        const summary = typeof handoffData?.summary === 'string' ? handoffData.summary : undefined;
        await this.deps.backend.finishCall(call, {
          status: reason === 'error' ? 'failed' : 'completed',
          endReason: reason,
          ...(transferTo ? { transferTo } : {}),
          ...(summary ? { summary } : {}),
        });
      }
    } catch (error) {
      this.deps.log?.('finish_failed', { reason: error instanceof Error ? error.message : String(error) });
    } finally {
      if (wasActive) this.deps.metrics.callEnded(reason);
      this.resolveEnded();
    }
  }
}
