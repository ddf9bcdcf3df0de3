import type { tables } from '../../platform/index.ts';

type PhoneNumberRow = typeof tables.phoneNumbers.$inferSelect;
type CallRow = typeof tables.calls.$inferSelect;
type CampaignRow = typeof tables.campaigns.$inferSelect;
type ContactRow = typeof tables.campaignContacts.$inferSelect;

export const PHONE_NUMBER_MODES = ['media_stream', 'conversation_relay'] as const;
export type PhoneNumberMode = (typeof PHONE_NUMBER_MODES)[number];
export const PHONE_NUMBER_STATUSES = ['active', 'disabled'] as const;
export type PhoneNumberStatus = (typeof PHONE_NUMBER_STATUSES)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
export const CALL_STATUSES = [
  'requested',
  'dialing',
  'ringing',
  'in_progress',
  'completed',
  'busy',
  'no_answer',
  'failed',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
/** The statuses a call ends in. */
export const TERMINAL_CALL_STATUSES = ['completed', 'busy', 'no_answer', 'failed', 'canceled'] as const;
export type TerminalCallStatus = (typeof TERMINAL_CALL_STATUSES)[number];
/** The statuses of a call still in flight (pacing counts these against `maxConcurrent`). */
export const ACTIVE_CALL_STATUSES = ['requested', 'dialing', 'ringing', 'in_progress'] as const;

/** Why a call ended. */
export const CALL_END_REASONS = [
  'hangup',
  'transfer',
  'error',
  'drained',
  'machine',
  'no_input',
  'max_duration',
  'busy',
  'no_answer',
  'failed',
  'canceled',
  'timeout',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

export const CAMPAIGN_STATUSES = ['draft', 'running', 'paused', 'completed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const CONTACT_STATUSES = [
  'pending',
  'calling',
  'completed',
  'failed',
  'exhausted',
  'skipped',
] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** Milliseconds between the steps of one response, as measured by the voice node (null: not measured). */
export interface CallTurnLatency {
  speechEndToSttFinal: number | null;
  sttFinalToLlmFirstToken: number | null;
  llmFirstTokenToTtsFirstByte: number | null;
  ttsFirstByteToFirstFrame: number | null;
  totalResponse: number | null;
  /** What our servers added on top of the vendors (total minus STT, LLM and TTS waits). */
  serverAddedMs: number | null;
}

/** One stored turn of a call. */
export interface CallTurn {
  /** Position in `turns`, assigned on append (concurrent appends never share one). */
  index: number;
  /** What the caller said (the final speech-to-text result). */
  callerText: string | null;
  /** What the agent meant to say. */
  assistantText: string | null;
  /** What the caller actually heard: `assistantText` cut where the caller barged in. */
  heardText: string | null;
  interrupted: boolean;
  latencyMs: CallTurnLatency;
  /** From the caller starting to speak over the agent to the agent's audio stopping. */
  bargeInReactionMs: number | null;
  /** When the turn was stored (ISO 8601). */
  at: string;
}

/** What the voice node hands to `appendTurn`; missing values are stored as null / false. */
export interface CallTurnInput {
  callerText?: string | null | undefined;
  assistantText?: string | null | undefined;
  heardText?: string | null | undefined;
  interrupted?: boolean | undefined;
  latencyMs?: Partial<CallTurnLatency> | undefined;
  bargeInReactionMs?: number | null | undefined;
}

export interface PhoneNumberView {
  id: string;
  number: string;
  agentId: string;
  mode: PhoneNumberMode;
  label: string | null;
  status: PhoneNumberStatus;
  createdAt: string;
  updatedAt: string;
}

export interface CallView {
  id: string;
  agentId: string;
  conversationId: string | null;
  phoneNumberId: string | null;
  campaignId: string | null;
  campaignContactId: string | null;
  direction: CallDirection;
  from: string;
  to: string;
  twilioCallSid: string | null;
  status: CallStatus;
  answeredBy: string | null;
  startedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  endReason: string | null;
  transferTo: string | null;
  summary: string | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** A call with its turns and where its transcript (the conversation's messages) lives. */
export interface CallDetails extends CallView {
  turns: CallTurn[];
  links: { conversation: string | null };
}

export interface CampaignWindow {
  timezone: string;
  /** Local days the campaign may call: 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** 'HH:MM' local; when `end` is earlier than `start` the window runs past midnight. */
  start: string;
  end: string;
}

export interface CampaignPacing {
  callsPerMinute: number;
  maxConcurrent: number;
}

export interface CampaignRetry {
  /** Calls per contact in total, the first one included. */
  maxAttempts: number;
  backoffMinutes: number;
}

export interface CampaignView {
  id: string;
  agentId: string;
  name: string;
  fromNumber: string;
  status: CampaignStatus;
  window: CampaignWindow;
  pacing: CampaignPacing;
  retry: CampaignRetry;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A campaign with its contacts counted by status. */
export interface CampaignDetails extends CampaignView {
  contacts: Record<ContactStatus, number>;
}

export interface CampaignContactView {
  id: string;
  campaignId: string;
  phone: string;
  name: string | null;
  variables: Record<string, string>;
  status: ContactStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastCallId: string | null;
  lastResult: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (value: Date | null): string | null => value?.toISOString() ?? null;

export function toPhoneNumberView(row: PhoneNumberRow): PhoneNumberView {
  return {
    id: row.id,
    number: row.number,
    agentId: row.agentId,
    mode: row.mode,
    label: row.label,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Accepts rows selected without `turns` (lists leave the heavy column out). */
export function toCallView(row: Omit<CallRow, 'turns'>): CallView {
  return {
    id: row.id,
    agentId: row.agentId,
    conversationId: row.conversationId,
    phoneNumberId: row.phoneNumberId,
    campaignId: row.campaignId,
    campaignContactId: row.campaignContactId,
    direction: row.direction,
    from: row.fromNumber,
    to: row.toNumber,
    twilioCallSid: row.twilioCallSid,
    status: row.status,
    answeredBy: row.answeredBy,
    startedAt: iso(row.startedAt),
    answeredAt: iso(row.answeredAt),
    endedAt: iso(row.endedAt),
    durationSeconds: row.durationSeconds,
    endReason: row.endReason,
    transferTo: row.transferTo,
    summary: row.summary,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toCallDetails(row: CallRow): CallDetails {
  return {
    ...toCallView(row),
    turns: row.turns as unknown as CallTurn[],
    links: { conversation: row.conversationId ? `/v1/conversations/${row.conversationId}` : null },
  };
}

export function toCampaignView(row: CampaignRow): CampaignView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    fromNumber: row.fromNumber,
    status: row.status,
    window: row.window,
    pacing: row.pacing,
    retry: row.retry,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toContactView(row: ContactRow): CampaignContactView {
  return {
    id: row.id,
    campaignId: row.campaignId,
    phone: row.phone,
    name: row.name,
    variables: row.variables,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
    lastCallId: row.lastCallId,
    lastResult: row.lastResult,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
