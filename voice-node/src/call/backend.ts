import type { TurnResult, TurnSink } from '@lumay/shared';
import type { AgentVoiceSettings } from './settings.ts';

/** One measured turn of a call, stored with the call record and exported as metrics. */
export interface CallTurnRecord {
  index: number;
  kind: 'opening' | 'speech' | 'dtmf' | 'no_input';
  callerText?: string;
  /** What the agent said, and what the caller heard of it (shorter after a barge-in). */
  spokenText: string;
  heardText: string;
  interrupted: boolean;
  /** Latency chain, ms (absent links were not part of this turn). */
  latency: {
    /** Caller stopped speaking → end of turn detected (the configured silence). */
    endOfTurnMs?: number;
    /** End of turn → final transcript (STT provider time). */
    sttMs?: number;
    /** Transcript → first text from the flow (engine and LLM first token). */
    firstTextMs?: number;
    /** First text → first TTS audio byte (TTS provider time). */
    ttsFirstByteMs?: number;
    /** First TTS byte → first audio frame sent to Twilio. */
    firstFrameMs?: number;
    /** Caller stopped speaking → first audio frame sent. */
    responseMs?: number;
    /** responseMs minus the providers' own time (end-of-turn wait, STT, LLM first token, TTS first byte). */
    serverAddedMs?: number;
  };
  /** Speech onset → `clear` sent, when the caller barged in. */
  bargeInReactionMs?: number;
}

/** What a call's stream claim returns: who the call belongs to. */
export interface ClaimedCall {
  tenantId: string;
  callId: string;
  agentId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  conversationId: string | null;
}

export interface CallerInput {
  text?: string;
  digits?: string;
}

/**
 * The platform as the voice node sees it: the call records (under the tenant's RLS) and the
 * conversation engine. The composition root builds it from the shared services; the call pipeline
 * never touches the database itself.
 */
export interface VoiceBackend {
  /** Inbound routing: the called number → tenant, agent and stream mode (null when not ours). */
  resolveNumber(to: string): Promise<{
    tenantId: string;
    agentId: string;
    phoneNumberId: string;
    mode: 'media_stream' | 'conversation_relay';
  } | null>;
  /** Records a ringing inbound call and issues the one-time stream token for its `<Parameter>`. */
  createInboundCall(input: {
    tenantId: string;
    agentId: string;
    phoneNumberId: string;
    callSid: string;
    from: string;
    to: string;
  }): Promise<{ callId: string; streamToken: string }>;
  /** Consumes the one-time token of a stream (throws when wrong, used or expired). */
  claimStream(input: {
    tenantId: string;
    callId: string;
    callSid: string;
    token: string;
  }): Promise<ClaimedCall>;
  /** The agent's voice settings (or the reason they are invalid). */
  agentSettings(tenantId: string, agentId: string): Promise<AgentVoiceSettings>;
  startConversation(call: ClaimedCall, sink: TurnSink): Promise<TurnResult>;
  send(call: ClaimedCall, conversationId: string, input: CallerInput, sink: TurnSink): Promise<TurnResult>;
  /** Cuts a stored assistant message to what the caller heard. */
  recordInterruption(
    call: ClaimedCall,
    conversationId: string,
    messageId: string,
    heardText: string,
  ): Promise<void>;
  /** The latest handoff of the conversation (reason, queue, summary), for a transfer. */
  latestHandoff(
    call: ClaimedCall,
    conversationId: string,
  ): Promise<{ queue: string | null; summary: string | null; reason: string } | null>;
  /** Ends the conversation (caller hung up, call failed). */
  endConversation(
    call: ClaimedCall,
    conversationId: string,
    outcome: 'resolved' | 'abandoned' | 'escalated',
  ): Promise<void>;
  attachConversation(call: ClaimedCall, conversationId: string): Promise<void>;
  appendTurn(call: ClaimedCall, turn: CallTurnRecord): Promise<void>;
  finishCall(
    call: ClaimedCall,
    outcome: { status: 'completed' | 'failed'; endReason: string; transferTo?: string; summary?: string },
  ): Promise<void>;
  /** A Twilio status callback (idempotent on the sequence number). */
  recordStatus(input: {
    callSid: string;
    sequenceNumber: string;
    status: string;
    durationSeconds?: number;
    answeredBy?: string;
    /** From the signed callback URL of a call we dialed: used when the CallSid is not stored yet. */
    hint?: { tenantId: string; callId: string };
  }): Promise<{ known: boolean; duplicate: boolean }>;
}
