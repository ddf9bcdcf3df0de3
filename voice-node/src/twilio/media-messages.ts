import { z } from 'zod';

/**
 * The Twilio Media Streams wire protocol (bidirectional `<Connect><Stream>`), both directions.
 *
 * Twilio → us: `connected`, `start`, `media`, `dtmf`, `mark` (echo of ours), `stop`, as JSON text
 * frames; every message after `connected` carries a string `sequenceNumber` and the `streamSid`.
 * `parseMediaMessage` validates one frame and never throws, because a socket handler that throws on
 * a bad frame would drop a live call; the payload is base64-checked and decoded once, here.
 *
 * Us → Twilio: `media`, `mark`, `clear` in exactly the documented shape (no `sequenceNumber`,
 * `mark.name` always present). `parseOutboundMediaMessage` checks that shape strictly; the simulated
 * Twilio in the tests uses it to catch a server that speaks the protocol loosely.
 */

/** Decoded μ-law bytes we accept in one `media` frame (real frames are 160 B = 20 ms). */
export const MAX_MEDIA_PAYLOAD_BYTES = 32 * 1024;
/** Frames longer than this are refused before JSON parsing. */
const MAX_FRAME_CHARS = 64 * 1024;

const digits = z.string().regex(/^\d+$/, 'must be a string of digits');
const sid = z.string().min(1);
const sequenced = { sequenceNumber: digits, streamSid: sid };

const connectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

const startSchema = z.object({
  event: z.literal('start'),
  ...sequenced,
  start: z.object({
    streamSid: sid,
    accountSid: sid,
    callSid: sid,
    tracks: z.array(z.enum(['inbound', 'outbound'])).min(1),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number().int().positive(),
      channels: z.number().int().positive(),
    }),
  }),
});

const mediaSchema = z.object({
  event: z.literal('media'),
  ...sequenced,
  media: z.object({
    track: z.enum(['inbound', 'outbound']),
    chunk: digits,
    timestamp: digits,
    payload: z.string(),
  }),
});

const dtmfSchema = z.object({
  event: z.literal('dtmf'),
  ...sequenced,
  dtmf: z.object({ track: z.string(), digit: z.string().regex(/^[0-9*#]$/, 'must be one of 0-9 * #') }),
});

const markSchema = z.object({ event: z.literal('mark'), ...sequenced, mark: z.object({ name: z.string() }) });

const stopSchema = z.object({
  event: z.literal('stop'),
  ...sequenced,
  stop: z.object({ accountSid: sid, callSid: sid }),
});

const INBOUND_SCHEMAS = {
  connected: connectedSchema,
  start: startSchema,
  media: mediaSchema,
  dtmf: dtmfSchema,
  mark: markSchema,
  stop: stopSchema,
} as const;

export type MediaConnectedMessage = z.infer<typeof connectedSchema>;
export type MediaStartMessage = z.infer<typeof startSchema>;
/** A `media` frame; `audio` is the decoded payload (raw μ-law, 8 kHz, mono). */
export type MediaMediaMessage = z.infer<typeof mediaSchema> & { audio: Uint8Array };
export type MediaDtmfMessage = z.infer<typeof dtmfSchema>;
export type MediaMarkMessage = z.infer<typeof markSchema>;
export type MediaStopMessage = z.infer<typeof stopSchema>;

/** Any frame Twilio sends on a Media Stream. */
export type MediaStreamInboundMessage =
  | MediaConnectedMessage
  | MediaStartMessage
  | MediaMediaMessage
  | MediaDtmfMessage
  | MediaMarkMessage
  | MediaStopMessage;

/** The outcome of parsing one frame: the message, or why it was refused. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes strict base64 (padded, standard alphabet) to bytes, or explains why not. The regex and
 * length checks are cheap next to the decode and stop `Buffer.from` silently skipping junk.
 */
export function decodeBase64Payload(
  payload: string,
  maxBytes: number = MAX_MEDIA_PAYLOAD_BYTES,
): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  if (payload.length === 0) return { ok: false, reason: 'payload is empty' };
  if (payload.length > Math.ceil(maxBytes / 3) * 4) {
    return { ok: false, reason: `payload exceeds ${maxBytes} bytes` };
  }
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) {
    return { ok: false, reason: 'payload is not valid base64' };
  }
  const buffer = Buffer.from(payload, 'base64');
  if (buffer.byteLength > maxBytes) return { ok: false, reason: `payload exceeds ${maxBytes} bytes` };
  return { ok: true, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
}

/** Base64 of raw bytes (no copy of the input). */
export function encodeBase64Payload(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function describeIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid message';
  const path = issue.path.map(String).join('.');
  return `${prefix}${path === '' ? '' : `${path}: `}${issue.message}`;
}

/** Parses a frame as JSON into a plain object, or explains why not. */
export function parseJsonObject(
  text: string,
  maxChars: number = MAX_FRAME_CHARS,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (text.length > maxChars) return { ok: false, reason: `frame exceeds ${maxChars} characters` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function isKey<T extends object>(object: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(object, key);
}

/** Parses one frame Twilio sent on a Media Stream; never throws. */
export function parseMediaMessage(
  text: string,
  options: { maxPayloadBytes?: number } = {},
): ParseResult<MediaStreamInboundMessage> {
  const maxPayloadBytes = options.maxPayloadBytes ?? MAX_MEDIA_PAYLOAD_BYTES;
  // Room for the base64 payload plus the envelope, so a larger payload limit is not cut short here.
  const json = parseJsonObject(text, Math.max(MAX_FRAME_CHARS, Math.ceil(maxPayloadBytes / 3) * 4 + 1024));
  if (!json.ok) return json;
  const event = json.value.event;
  if (typeof event !== 'string') return { ok: false, reason: 'missing event' };
  if (!isKey(INBOUND_SCHEMAS, event)) return { ok: false, reason: `unknown event ${JSON.stringify(event)}` };
  if (event === 'media') {
    const parsed = mediaSchema.safeParse(json.value);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, 'media message: ') };
    const decoded = decodeBase64Payload(parsed.data.media.payload, maxPayloadBytes);
    if (!decoded.ok) return { ok: false, reason: `media.${decoded.reason}` };
    return { ok: true, message: { ...parsed.data, audio: decoded.bytes } };
  }
  const parsed = INBOUND_SCHEMAS[event].safeParse(json.value);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, `${event} message: `) };
  return { ok: true, message: parsed.data };
}

const outboundMediaSchema = z.strictObject({
  event: z.literal('media'),
  streamSid: sid,
  media: z.strictObject({ payload: z.string() }),
});
const outboundMarkSchema = z.strictObject({
  event: z.literal('mark'),
  streamSid: sid,
  mark: z.strictObject({ name: z.string() }),
});
const outboundClearSchema = z.strictObject({ event: z.literal('clear'), streamSid: sid });

const OUTBOUND_SCHEMAS = {
  media: outboundMediaSchema,
  mark: outboundMarkSchema,
  clear: outboundClearSchema,
} as const;

/** A frame we send to Twilio; a parsed `media` also carries the decoded `audio`. */
export type MediaStreamOutboundMessage =
  | (z.infer<typeof outboundMediaSchema> & { audio: Uint8Array })
  | z.infer<typeof outboundMarkSchema>
  | z.infer<typeof outboundClearSchema>;

/** Parses a frame sent to Twilio, strictly in the documented shape (extra keys are errors). */
export function parseOutboundMediaMessage(
  text: string,
  options: { maxPayloadBytes?: number } = {},
): ParseResult<MediaStreamOutboundMessage> {
  const json = parseJsonObject(text, Number.POSITIVE_INFINITY);
  if (!json.ok) return json;
  const event = json.value.event;
  if (typeof event !== 'string') return { ok: false, reason: 'missing event' };
  if (!isKey(OUTBOUND_SCHEMAS, event)) return { ok: false, reason: `unknown event ${JSON.stringify(event)}` };
  if (event === 'media') {
    const parsed = outboundMediaSchema.safeParse(json.value);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, 'media message: ') };
    const decoded = decodeBase64Payload(
      parsed.data.media.payload,
      options.maxPayloadBytes ?? Number.MAX_SAFE_INTEGER,
    );
    if (!decoded.ok) return { ok: false, reason: `media.${decoded.reason}` };
    return { ok: true, message: { ...parsed.data, audio: decoded.bytes } };
  }
  const parsed = OUTBOUND_SCHEMAS[event].safeParse(json.value);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, `${event} message: `) };
  return { ok: true, message: parsed.data };
}

/** An outbound `media` frame: raw μ-law 8 kHz mono bytes (no WAV header), base64-encoded. */
export function mediaMessage(streamSid: string, payload: Uint8Array): string {
  return JSON.stringify({ event: 'media', streamSid, media: { payload: encodeBase64Payload(payload) } });
}

/** An outbound `mark`: Twilio echoes it once the audio sent before it has played (or was cleared). */
export function markMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

/** An outbound `clear`: drops unplayed audio; Twilio echoes every pending mark at once. */
export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
