import { z } from 'zod';
import { type ParseResult, parseJsonObject } from './media-messages.ts';

/**
 * The Twilio ConversationRelay wire protocol (text over WebSocket; Twilio does STT and TTS).
 *
 * Twilio → us: `setup`, `prompt` (caller speech), `interrupt` (barge-in, with exactly what was spoken
 * before it), `dtmf`, `error` (our last message was invalid), `info`. `parseRelayMessage` validates a
 * frame and never throws, like the Media Streams parser.
 *
 * Us → Twilio: `text` tokens forming talk cycles closed by `last: true`, `play`, `sendDigits`,
 * `language`, `end` (whose `handoffData` is a JSON *string*, a classic trap). The builders return the
 * exact JSON; `parseRelayServerMessage` checks that shape strictly for the simulated Twilio.
 */

const setupSchema = z.object({
  type: z.literal('setup'),
  sessionId: z.string().min(1),
  accountSid: z.string().min(1),
  callSid: z.string().min(1),
  parentCallSid: z.string().optional(),
  from: z.string(),
  to: z.string(),
  forwardedFrom: z.string().optional(),
  callerName: z.string().optional(),
  direction: z.string(),
  callType: z.string().optional(),
  callStatus: z.string().optional(),
  customParameters: z.record(z.string(), z.string()).default({}),
});

const promptSchema = z.object({
  type: z.literal('prompt'),
  voicePrompt: z.string(),
  lang: z.string(),
  last: z.boolean(),
});

const interruptSchema = z.object({
  type: z.literal('interrupt'),
  utteranceUntilInterrupt: z.string(),
  durationUntilInterruptMs: z.number().nonnegative(),
});

const dtmfSchema = z.object({
  type: z.literal('dtmf'),
  digit: z.string().regex(/^[0-9*#]$/, 'must be one of 0-9 * #'),
});

const errorSchema = z.object({ type: z.literal('error'), description: z.string() });

/** Informational events (e.g. latency reports); their fields vary, so they are kept as sent. */
const infoSchema = z.looseObject({ type: z.literal('info') });

const INBOUND_SCHEMAS = {
  setup: setupSchema,
  prompt: promptSchema,
  interrupt: interruptSchema,
  dtmf: dtmfSchema,
  error: errorSchema,
  info: infoSchema,
} as const;

export type RelaySetupMessage = z.infer<typeof setupSchema>;
export type RelayPromptMessage = z.infer<typeof promptSchema>;
export type RelayInterruptMessage = z.infer<typeof interruptSchema>;
export type RelayDtmfMessage = z.infer<typeof dtmfSchema>;
export type RelayErrorMessage = z.infer<typeof errorSchema>;
export type RelayInfoMessage = z.infer<typeof infoSchema>;

/** Any message Twilio sends on a ConversationRelay socket. */
export type RelayInboundMessage =
  | RelaySetupMessage
  | RelayPromptMessage
  | RelayInterruptMessage
  | RelayDtmfMessage
  | RelayErrorMessage
  | RelayInfoMessage;

function isKey<T extends object>(object: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(object, key);
}

function describeIssue(error: z.ZodError, type: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${type} message: invalid`;
  const path = issue.path.map(String).join('.');
  return `${type} message: ${path === '' ? '' : `${path}: `}${issue.message}`;
}

function parseWith<S extends Record<string, z.ZodType>>(
  schemas: S,
  text: string,
  maxChars: number,
): ParseResult<z.infer<S[keyof S]>> {
  const json = parseJsonObject(text, maxChars);
  if (!json.ok) return json;
  const type = json.value.type;
  if (typeof type !== 'string') return { ok: false, reason: 'missing type' };
  if (!isKey(schemas, type)) return { ok: false, reason: `unknown type ${JSON.stringify(type)}` };
  const schema: z.ZodType | undefined = schemas[type];
  if (schema === undefined) return { ok: false, reason: `unknown type ${JSON.stringify(type)}` };
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, type) };
  return { ok: true, message: parsed.data as z.infer<S[keyof S]> };
}

/** Parses one message Twilio sent on a ConversationRelay socket; never throws. */
export function parseRelayMessage(text: string): ParseResult<RelayInboundMessage> {
  return parseWith(INBOUND_SCHEMAS, text, 64 * 1024);
}

const textSchema = z.strictObject({
  type: z.literal('text'),
  token: z.string(),
  last: z.boolean(),
  interruptible: z.boolean().optional(),
  preemptible: z.boolean().optional(),
  lang: z.string().optional(),
});
const playSchema = z.strictObject({
  type: z.literal('play'),
  source: z.url(),
  loop: z.number().int().nonnegative().optional(),
  preemptible: z.boolean().optional(),
  interruptible: z.boolean().optional(),
});
const DIGITS = /^[0-9*#wW]+$/;
const sendDigitsSchema = z.strictObject({
  type: z.literal('sendDigits'),
  digits: z.string().regex(DIGITS, 'must be 0-9 * # w W'),
});
const languageSchema = z
  .strictObject({
    type: z.literal('language'),
    ttsLanguage: z.string().min(1).optional(),
    transcriptionLanguage: z.string().min(1).optional(),
  })
  .refine((value) => value.ttsLanguage !== undefined || value.transcriptionLanguage !== undefined, {
    message: 'needs ttsLanguage or transcriptionLanguage',
  });
const endSchema = z.strictObject({ type: z.literal('end'), handoffData: z.string().optional() });

const OUTBOUND_SCHEMAS = {
  text: textSchema,
  play: playSchema,
  sendDigits: sendDigitsSchema,
  language: languageSchema,
  end: endSchema,
} as const;

/** Any message we send on a ConversationRelay socket. */
export type RelayOutboundMessage =
  | z.infer<typeof textSchema>
  | z.infer<typeof playSchema>
  | z.infer<typeof sendDigitsSchema>
  | z.infer<typeof languageSchema>
  | z.infer<typeof endSchema>;

/** Parses a message sent to Twilio, strictly in the documented shape (extra keys are errors). */
export function parseRelayServerMessage(text: string): ParseResult<RelayOutboundMessage> {
  return parseWith(OUTBOUND_SCHEMAS, text, Number.POSITIVE_INFINITY);
}

/** Per-token options of a `text` message. */
export interface TextTokenOptions {
  interruptible?: boolean;
  preemptible?: boolean;
  lang?: string;
}

/** A `text` token; `last: true` closes the talk cycle so TTS flushes. */
export function textToken(token: string, last: boolean, options: TextTokenOptions = {}): string {
  return JSON.stringify({ type: 'text', token, last, ...options });
}

/** Options of a `play` message. */
export interface PlayOptions {
  loop?: number;
  preemptible?: boolean;
  interruptible?: boolean;
}

/** Plays an audio file (URL) to the caller. */
export function play(source: string, options: PlayOptions = {}): string {
  return JSON.stringify({ type: 'play', source, ...options });
}

/** Sends DTMF tones on the call (`w` waits 0.5 s, `W` 1 s). Throws on characters Twilio rejects. */
export function sendDigits(digits: string): string {
  if (!DIGITS.test(digits))
    throw new Error(`sendDigits accepts only 0-9 * # w W, got ${JSON.stringify(digits)}`);
  return JSON.stringify({ type: 'sendDigits', digits });
}

/** Switches TTS and/or STT language mid-session. Throws when neither is given. */
export function language(languages: { ttsLanguage?: string; transcriptionLanguage?: string }): string {
  if (!languages.ttsLanguage && !languages.transcriptionLanguage) {
    throw new Error('language needs ttsLanguage or transcriptionLanguage');
  }
  return JSON.stringify({
    type: 'language',
    ttsLanguage: languages.ttsLanguage,
    transcriptionLanguage: languages.transcriptionLanguage,
  });
}

/** Ends the session; Twilio posts `HandoffData` (our object, stringified) to `<Connect action>`. */
export function end(handoffData?: object): string {
  return handoffData === undefined
    ? JSON.stringify({ type: 'end' })
    : JSON.stringify({ type: 'end', handoffData: JSON.stringify(handoffData) });
}
