import type { TwilioCallStatus } from '../../../voice-node/src/twilio/rest-client.ts';
import type { TwilioParams } from '../../../voice-node/src/twilio/signature.ts';
import { connectRelayCaller, type RelayCaller } from './relay-caller.ts';
import {
  connectMediaStreamCaller,
  type MediaStreamCaller,
  type MediaStreamCallerOptions,
} from './simulated-caller.ts';
import { childElements, parameterRecord, parseTwiml, textContent, type XmlElement } from './twiml-reader.ts';

/**
 * Runs the TwiML of a simulated call the way Twilio does, verb by verb: `<Connect><Stream>` opens a
 * simulated Media Streams caller to our server and blocks until the socket closes, then the next
 * verb runs; `<Connect><ConversationRelay>` does the same with a relay session and, with an
 * `action`, fetches the next TwiML with `HandoffData`; `<Say>`, `<Play>`, `<Pause>` and `<Dial>` are
 * recorded (a dialled party is taken to answer and hang up at once); `<Hangup>`, `<Reject>` and the
 * end of the document end the call; `<Redirect>` fetches new TwiML. A document replaced through the
 * REST API (the call's `generation` moves on) stops where it is.
 */

/** A verb the simulated Twilio executed. */
export interface ExecutedVerb {
  verb: string;
  at: number;
  attributes: Readonly<Record<string, string>>;
  /** Text content (`<Say>` text, `<Dial>` number, `<Redirect>` URL). */
  text: string;
  /** `<Parameter>`s of `<Stream>` / `<ConversationRelay>`. */
  parameters: Readonly<Record<string, string>>;
  /** `<Dial>` targets (`<Number>`, `<Sip>`, `<Client>` or bare text). */
  targets: readonly string[];
  /** What happened (e.g. how a stream closed, or why it failed). */
  outcome: string | undefined;
}

/** A call the fake Twilio knows, with everything it did. */
export interface FakeCall {
  readonly sid: string;
  readonly accountSid: string;
  readonly direction: 'outbound-api' | 'inbound';
  readonly to: string;
  readonly from: string;
  status: TwilioCallStatus;
  readonly createdAt: number;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  answeredBy: string | undefined;
  /** The Create Call form (outbound) or the status callback settings (inbound). */
  readonly params: TwilioParams;
  /** Every TwiML document the call ran, in order. */
  readonly documents: string[];
  readonly verbs: ExecutedVerb[];
  readonly mediaCallers: MediaStreamCaller[];
  readonly relayCallers: RelayCaller[];
  /** Twilio-side errors (bad TwiML, failed handshakes, failed fetches), with Twilio's codes. */
  readonly errors: string[];
  /** Bumped whenever the TwiML is replaced or the call ends, so stale runs stop. */
  generation: number;
}

/** What the runner needs from the fake Twilio. */
export interface RunnerContext {
  readonly accountSid: string;
  readonly authToken: string;
  now(): number;
  resolveStreamUrl(publicUrl: string): string;
  readonly mediaCallerOptions: Pick<MediaStreamCallerOptions, 'realtime' | 'silenceWhenIdle'>;
  onMediaCaller?: (caller: MediaStreamCaller, call: FakeCall) => void;
  onRelayCaller?: (caller: RelayCaller, call: FakeCall) => void;
  /** Signed form POST recorded as a callback; returns the TwiML body on a 2xx, else undefined. */
  fetchTwiml(
    call: FakeCall,
    kind: string,
    url: string,
    extra: Record<string, string>,
  ): Promise<string | undefined>;
  /** Signed form POST of a notification (status, stream status); the answer is only recorded. */
  notify(call: FakeCall, kind: string, url: string, params: Record<string, string>): Promise<void>;
  endCall(call: FakeCall, status: TwilioCallStatus): void;
  changed(): void;
}

type Flow = 'continue' | 'stop';

function recordVerb(context: RunnerContext, call: FakeCall, element: XmlElement): ExecutedVerb {
  const targets = childElements(element).filter((child) => ['Number', 'Sip', 'Client'].includes(child.name));
  const verb: ExecutedVerb = {
    verb: element.name,
    at: context.now(),
    attributes: element.attributes,
    text: textContent(element),
    parameters: parameterRecord(element),
    targets:
      element.name === 'Dial' ? (targets.length > 0 ? targets.map(textContent) : [textContent(element)]) : [],
    outcome: undefined,
  };
  call.verbs.push(verb);
  context.changed();
  return verb;
}

function webSocketUrlError(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `31923 Stream - WebSocket - Malformed URL: ${url}`;
  }
  if (parsed.protocol !== 'wss:')
    return `31922 Stream - WebSocket - Invalid URL scheme (must be wss): ${url}`;
  if (url.includes('?'))
    return `31923 Stream - WebSocket - query strings are not supported on the url: ${url}`;
  return undefined;
}

async function runStream(
  context: RunnerContext,
  call: FakeCall,
  connect: XmlElement,
  stream: XmlElement,
  generation: number,
): Promise<Flow> {
  const verb = recordVerb(context, call, stream);
  const url = stream.attributes.url ?? '';
  const statusCallback = stream.attributes.statusCallback;
  const track = stream.attributes.track ?? connect.attributes.track;
  const problem =
    webSocketUrlError(url) ??
    (track !== undefined && track !== 'inbound_track'
      ? `31941 Stream - Invalid Track configuration: ${track}`
      : undefined);
  const streamStatus = (caller: MediaStreamCaller | undefined, event: string, error?: string) => {
    if (statusCallback === undefined) return Promise.resolve();
    const params: Record<string, string> = {
      AccountSid: call.accountSid,
      CallSid: call.sid,
      StreamSid: caller?.streamSid ?? '',
      StreamName: stream.attributes.name ?? caller?.streamSid ?? '',
      StreamEvent: event,
      Timestamp: new Date().toISOString(),
    };
    if (error !== undefined) params.StreamError = error;
    return context.notify(call, 'stream-status', statusCallback, params);
  };
  if (problem !== undefined) {
    verb.outcome = problem;
    call.errors.push(problem);
    await streamStatus(undefined, 'stream-error', problem);
    return 'continue';
  }
  let caller: MediaStreamCaller;
  try {
    caller = await connectMediaStreamCaller({
      ...context.mediaCallerOptions,
      wsUrl: context.resolveStreamUrl(url),
      signedUrl: url,
      authToken: context.authToken,
      callSid: call.sid,
      accountSid: call.accountSid,
      customParameters: parameterRecord(stream),
    });
  } catch (error) {
    const message = `31920 Stream - WebSocket - Handshake Error: ${error instanceof Error ? error.message : String(error)}`;
    verb.outcome = message;
    call.errors.push(message);
    await streamStatus(undefined, 'stream-error', message);
    return 'continue';
  }
  if (call.generation !== generation) {
    await caller.hangup();
    return 'stop';
  }
  call.mediaCallers.push(caller);
  context.changed();
  void streamStatus(caller, 'stream-started');
  context.onMediaCaller?.(caller, call);
  const closed = await caller.closed;
  verb.outcome = `closed by ${closed.by} (${closed.code})`;
  void streamStatus(caller, 'stream-stopped');
  context.changed();
  return call.generation === generation ? 'continue' : 'stop';
}

async function runRelay(
  context: RunnerContext,
  call: FakeCall,
  connect: XmlElement,
  relay: XmlElement,
  generation: number,
): Promise<Flow> {
  const verb = recordVerb(context, call, relay);
  const url = relay.attributes.url ?? '';
  const problem = webSocketUrlError(url);
  if (problem !== undefined) {
    verb.outcome = problem;
    call.errors.push(problem);
    return 'continue';
  }
  let caller: RelayCaller;
  try {
    caller = await connectRelayCaller({
      wsUrl: context.resolveStreamUrl(url),
      signedUrl: url,
      authToken: context.authToken,
      callSid: call.sid,
      accountSid: call.accountSid,
      from: call.from,
      to: call.to,
      direction: call.direction === 'inbound' ? 'inbound' : 'outbound',
      callStatus: 'IN-PROGRESS',
      customParameters: parameterRecord(relay),
    });
  } catch (error) {
    const message = `64101 ConversationRelay - WebSocket connection failed: ${error instanceof Error ? error.message : String(error)}`;
    verb.outcome = message;
    call.errors.push(message);
    return 'continue';
  }
  if (call.generation !== generation) {
    await caller.hangup();
    return 'stop';
  }
  call.relayCallers.push(caller);
  context.changed();
  context.onRelayCaller?.(caller, call);
  const startedAt = context.now();
  const closed = await caller.closed;
  verb.outcome = `closed (${closed.code})`;
  context.changed();
  if (call.generation !== generation) return 'stop';
  const action = connect.attributes.action;
  if (action === undefined) return 'continue';
  const extra: Record<string, string> = {
    SessionId: caller.sessionId,
    SessionStatus: 'ended',
    SessionDuration: String(Math.round((context.now() - startedAt) / 1000)),
  };
  const handoff = caller.ends[0];
  if (handoff !== undefined && handoff.handoffData !== undefined) {
    extra.HandoffData =
      typeof handoff.handoffData === 'string' ? handoff.handoffData : JSON.stringify(handoff.handoffData);
  }
  const next = await context.fetchTwiml(call, 'action', action, extra);
  if (call.generation !== generation) return 'stop';
  if (next === undefined) {
    context.endCall(call, 'completed');
    return 'stop';
  }
  await runTwiml(context, call, next, generation);
  return 'stop';
}

async function runVerb(
  context: RunnerContext,
  call: FakeCall,
  element: XmlElement,
  generation: number,
): Promise<Flow> {
  switch (element.name) {
    case 'Say':
    case 'Play':
    case 'Pause':
    case 'Dial':
      recordVerb(context, call, element);
      return 'continue';
    case 'Hangup':
      recordVerb(context, call, element);
      context.endCall(call, 'completed');
      return 'stop';
    case 'Reject':
      recordVerb(context, call, element);
      context.endCall(call, element.attributes.reason === 'busy' ? 'busy' : 'no-answer');
      return 'stop';
    case 'Redirect': {
      const verb = recordVerb(context, call, element);
      const next = await context.fetchTwiml(call, 'redirect', verb.text, {});
      if (call.generation !== generation) return 'stop';
      if (next === undefined) context.endCall(call, 'completed');
      else await runTwiml(context, call, next, generation);
      return 'stop';
    }
    case 'Connect': {
      const [noun, ...rest] = childElements(element);
      if (noun === undefined || rest.length > 0) {
        call.errors.push('12200 Schema validation warning: <Connect> needs exactly one noun');
        return 'continue';
      }
      if (noun.name === 'Stream') return runStream(context, call, element, noun, generation);
      if (noun.name === 'ConversationRelay') return runRelay(context, call, element, noun, generation);
      call.errors.push(`12200 Schema validation warning: unsupported <Connect><${noun.name}>`);
      return 'continue';
    }
    default:
      recordVerb(context, call, element).outcome = 'unsupported by the simulated Twilio';
      call.errors.push(`12200 Schema validation warning: unsupported verb <${element.name}>`);
      return 'continue';
  }
}

/** Runs one TwiML document for `call`; ends the call at the end of the document. */
export async function runTwiml(
  context: RunnerContext,
  call: FakeCall,
  document: string,
  generation: number,
): Promise<void> {
  call.documents.push(document);
  context.changed();
  let root: XmlElement;
  try {
    root = parseTwiml(document);
  } catch (error) {
    call.errors.push(
      `12100 Document parse failure: ${error instanceof Error ? error.message : String(error)}`,
    );
    context.endCall(call, 'completed');
    return;
  }
  if (root.children.some((child) => 'text' in child && child.text.trim() !== '')) {
    call.errors.push('12200 Schema validation warning: text directly inside <Response>');
  }
  for (const element of childElements(root)) {
    if (call.generation !== generation) return;
    if ((await runVerb(context, call, element, generation)) === 'stop') return;
  }
  if (call.generation === generation) context.endCall(call, 'completed');
}
