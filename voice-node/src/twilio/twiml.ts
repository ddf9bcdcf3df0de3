/**
 * TwiML documents the voice node answers Twilio with, built as exact strings with every attribute and
 * text XML-escaped (caller names, greetings and transfer announcements come from tenants and callers).
 *
 * The builders refuse TwiML that Twilio would accept but that silently misbehaves: a Media Streams
 * URL that is not `wss://` (error 31922) or that carries a query string (unsupported: data goes in
 * `<Parameter>`s, which also keeps the WebSocket signature unambiguous), and a bidirectional stream
 * not followed by `<Hangup/>` unless asked (otherwise the caller sits on dead air when we close).
 */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** True for code points XML 1.0 allows in a document. */
function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    codePoint >= 0x10000
  );
}

const TEXT_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
/** In attributes, whitespace other than space is escaped too, or XML parsers normalise it away. */
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function escapeWith(value: string, escapes: Record<string, string>): string {
  let out = '';
  for (const character of value) {
    const codePoint = character.codePointAt(0) ?? 0;
    // Characters XML cannot carry at all (control characters, lone surrogates) are dropped.
    if (!isXmlChar(codePoint)) continue;
    out += escapes[character] ?? character;
  }
  return out;
}

/** Escapes text content for XML (`& < > " '`), dropping characters XML 1.0 forbids. */
export function escapeXmlText(value: string): string {
  return escapeWith(value, TEXT_ESCAPES);
}

/** Escapes an attribute value, also keeping tabs and newlines as character references. */
export function escapeXmlAttribute(value: string): string {
  return escapeWith(value, ATTRIBUTE_ESCAPES);
}

type AttributeValue = string | number | boolean | undefined;

function attributes(values: ReadonlyArray<readonly [string, AttributeValue]>): string {
  return values
    .filter((entry): entry is readonly [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

function response(body: string): string {
  return `${XML_DECLARATION}<Response>${body}</Response>`;
}

function parseUrl(value: string, what: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error(`${what} is not a valid URL: ${JSON.stringify(value)}`);
  }
}

/** A WebSocket URL Twilio can connect to: `wss://`, no query string, no fragment. */
function requireWebSocketUrl(value: string, what: string): string {
  const url = parseUrl(value, what);
  if (url.protocol !== 'wss:') {
    throw new Error(`${what} must use wss:// (Twilio error 31922), got ${url.protocol}//`);
  }
  if (value.includes('?') || url.search !== '') {
    throw new Error(`${what} must not have a query string; pass data as <Parameter> elements instead`);
  }
  if (url.hash !== '') throw new Error(`${what} must not have a fragment`);
  return value;
}

function requireHttpUrl(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const url = parseUrl(value, what);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${what} must be an http(s) URL, got ${url.protocol}//`);
  }
  return value;
}

function parameterElements(parameters: Record<string, string>): string {
  return Object.entries(parameters)
    .map(([name, value]) => {
      if (name === '') throw new Error('<Parameter> names must not be empty');
      return `<Parameter${attributes([
        ['name', name],
        ['value', value],
      ])}/>`;
    })
    .join('');
}

/** Options of `connectStreamTwiml`. */
export interface ConnectStreamOptions {
  /** The public `wss://` URL of our media endpoint, without a query string. */
  streamUrl: string;
  /** Delivered in `start.customParameters` (e.g. tenant id and a one-time token). */
  parameters: Record<string, string>;
  /** Optional stream name (lets us stop it by name later). */
  name?: string;
  /** Receives `stream-started|stream-stopped|stream-error` form POSTs. */
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /**
   * What runs after our server closes the socket: `<Hangup/>` (default) or nothing. (Not named
   * `then`: an options object with a `then` property is a thenable and misbehaves under `await`.)
   */
  afterStream?: 'hangup' | 'none';
}

/** `<Connect><Stream>` TwiML for a bidirectional Media Stream to our node, then `<Hangup/>`. */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  const url = requireWebSocketUrl(options.streamUrl, 'Stream url');
  const statusCallback = requireHttpUrl(options.statusCallback, 'Stream statusCallback');
  const stream = `<Stream${attributes([
    ['url', url],
    ['name', options.name],
    ['statusCallback', statusCallback],
    ['statusCallbackMethod', options.statusCallbackMethod],
  ])}>${parameterElements(options.parameters)}</Stream>`;
  const after = (options.afterStream ?? 'hangup') === 'hangup' ? '<Hangup/>' : '';
  return response(`<Connect>${stream}</Connect>${after}`);
}

/** Who may interrupt the agent while it speaks (`true` = any, `false` = none). */
export type RelayInterruptible = 'none' | 'dtmf' | 'speech' | 'any' | boolean;

/** Options of `conversationRelayTwiml`. */
export interface ConversationRelayOptions {
  /** The public `wss://` URL of our relay endpoint, without a query string. */
  url: string;
  /** `<Connect action>`: receives the session end (with `HandoffData`) and returns the next TwiML. */
  actionUrl?: string;
  welcomeGreeting?: string;
  welcomeGreetingInterruptible?: RelayInterruptible;
  language?: string;
  ttsProvider?: string;
  voice?: string;
  transcriptionProvider?: string;
  speechModel?: string;
  interruptible?: RelayInterruptible;
  dtmfDetection?: boolean;
  /** Words to bias recognition to; joined with commas. */
  hints?: readonly string[];
  /** Delivered in `setup.customParameters`. */
  parameters: Record<string, string>;
}

/** `<Connect><ConversationRelay>` TwiML: Twilio does STT/TTS and exchanges text with our node. */
export function conversationRelayTwiml(options: ConversationRelayOptions): string {
  const url = requireWebSocketUrl(options.url, 'ConversationRelay url');
  const action = requireHttpUrl(options.actionUrl, 'Connect action');
  if (options.hints?.some((hint) => hint.includes(','))) {
    throw new Error('ConversationRelay hints must not contain commas');
  }
  const relay = `<ConversationRelay${attributes([
    ['url', url],
    ['welcomeGreeting', options.welcomeGreeting],
    ['welcomeGreetingInterruptible', options.welcomeGreetingInterruptible],
    ['language', options.language],
    ['ttsProvider', options.ttsProvider],
    ['voice', options.voice],
    ['transcriptionProvider', options.transcriptionProvider],
    ['speechModel', options.speechModel],
    ['interruptible', options.interruptible],
    ['dtmfDetection', options.dtmfDetection],
    ['hints', options.hints?.join(',')],
  ])}>${parameterElements(options.parameters)}</ConversationRelay>`;
  return response(`<Connect${attributes([['action', action]])}>${relay}</Connect>`);
}

/** Voice settings of a `<Say>`. */
export interface SayOptions {
  voice?: string;
  language?: string;
}

function say(text: string, options: SayOptions = {}): string {
  return `<Say${attributes([
    ['voice', options.voice],
    ['language', options.language],
  ])}>${escapeXmlText(text)}</Say>`;
}

const E164 = /^\+[1-9]\d{1,14}$/;

/** Options of `transferTwiml`. */
export interface TransferOptions {
  /** Announced to the caller before dialling. */
  say?: string;
  sayOptions?: SayOptions;
  /** E.164 number (`+15550001111`) or SIP URI (`sip:agent@pbx.example.com`). */
  to: string;
  /** E.164 number shown to the callee. */
  callerId?: string;
  /** Ring time before giving up, 5–600 s. */
  timeoutSeconds?: number;
}

/** `<Say>` (optional) then `<Dial>` to a number or SIP URI: a warm-ish transfer to a human. */
export function transferTwiml(options: TransferOptions): string {
  const { to, callerId, timeoutSeconds } = options;
  let noun: string;
  if (E164.test(to)) noun = `<Number>${escapeXmlText(to)}</Number>`;
  else if (/^sips?:[^\s<>"']+$/.test(to)) noun = `<Sip>${escapeXmlText(to)}</Sip>`;
  else throw new Error(`transfer target must be an E.164 number or a sip: URI, got ${JSON.stringify(to)}`);
  if (callerId !== undefined && !E164.test(callerId)) {
    throw new Error(`callerId must be an E.164 number, got ${JSON.stringify(callerId)}`);
  }
  if (
    timeoutSeconds !== undefined &&
    (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 5 || timeoutSeconds > 600)
  ) {
    throw new Error(`timeoutSeconds must be an integer from 5 to 600, got ${timeoutSeconds}`);
  }
  const announcement = options.say === undefined ? '' : say(options.say, options.sayOptions);
  const dial = `<Dial${attributes([
    ['callerId', callerId],
    ['timeout', timeoutSeconds],
  ])}>${noun}</Dial>`;
  return response(`${announcement}${dial}`);
}

/** Says `text`, then hangs up (e.g. when no agent is available). */
export function sayThenHangupTwiml(text: string, options: SayOptions = {}): string {
  return response(`${say(text, options)}<Hangup/>`);
}

/** Rejects an incoming call without answering it (no charge): `rejected` (default) or `busy`. */
export function rejectTwiml(reason?: 'rejected' | 'busy'): string {
  return response(`<Reject${attributes([['reason', reason]])}/>`);
}
