import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TwilioCallStatus } from '../../../voice-node/src/twilio/rest-client.ts';
import { formParams, type TwilioParams } from '../../../voice-node/src/twilio/signature.ts';
import {
  API_VERSION,
  basicAuthMatches,
  describeCall,
  many,
  readBody,
  single,
  twilioError,
  validateCreateCall,
} from './fake-twilio-rest.ts';
import type { RelayCaller } from './relay-caller.ts';
import type { MediaStreamCaller } from './simulated-caller.ts';
import { childElements, parseTwiml } from './twiml-reader.ts';
import { type FakeCall, type RunnerContext, runTwiml } from './twiml-runner.ts';
import { createWaiters } from './waiting.ts';
import { signedWebhook } from './webhooks.ts';

/**
 * A local stand-in for Twilio's Voice REST API and call control, for integration tests and the
 * benchmark. It serves `POST/GET /2010-04-01/Accounts/{AccountSid}/Calls[/{CallSid}].json` with
 * Twilio's auth, validation and JSON error bodies; "places" created calls (signed status callbacks
 * initiated → ringing → answered → completed, async AMD results), runs their TwiML with
 * `twiml-runner.ts` (a `<Connect><Stream>` connects a simulated caller to our server), and ends a
 * stream the way Twilio does when the call's TwiML is replaced or the call is hung up: `stop`, then
 * the socket closes. Everything it sends and receives is recorded for assertions.
 */

export type { ExecutedVerb, FakeCall } from './twiml-runner.ts';
export { signedWebhook } from './webhooks.ts';

/** What a callee does when the fake places a call to it. */
export interface CalleeBehaviour {
  outcome?: 'answer' | 'busy' | 'no-answer' | 'failed';
  /** Reported by answering machine detection (default `human`). */
  answeredBy?:
    | 'human'
    | 'machine_start'
    | 'machine_end_beep'
    | 'machine_end_silence'
    | 'machine_end_other'
    | 'fax';
}

/** Options of `startFakeTwilio`. */
export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  ringDelayMs?: number;
  answerDelayMs?: number;
  /** Time answering machine detection takes. */
  amdDelayMs?: number;
  /** Per `To` number; others answer as humans. */
  callees?: Record<string, CalleeBehaviour>;
  /** Maps a public `wss://` stream URL from TwiML to the local `ws://` URL to connect to. */
  resolveStreamUrl?: (publicUrl: string) => string;
  /** Maps a public callback URL to the local URL to POST to (the signature stays over the public one). */
  resolveWebhookUrl?: (publicUrl: string) => string;
  mediaCaller?: { realtime?: boolean; silenceWhenIdle?: boolean };
  /** Called when a simulated caller connects (script the callee here). */
  onMediaCaller?: (caller: MediaStreamCaller, call: FakeCall) => void;
  onRelayCaller?: (caller: RelayCaller, call: FakeCall) => void;
}

/** A webhook the fake sent, and our server's answer. */
export interface RecordedCallback {
  kind: string;
  callSid: string;
  url: string;
  params: Record<string, string>;
  /** HTTP status, or 0 when the request failed. */
  status: number;
  body: string;
  at: number;
}

/** A REST request the fake served. */
export interface RecordedApiRequest {
  method: string;
  path: string;
  params: TwilioParams;
  status: number;
  response: unknown;
  at: number;
}

/** A call update (`POST …/Calls/{CallSid}.json`). */
export interface RecordedUpdate {
  callSid: string;
  at: number;
  params: TwilioParams;
  twiml: string | undefined;
  url: string | undefined;
  status: string | undefined;
  httpStatus: number;
}

/** A running fake Twilio. */
export interface FakeTwilio {
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly calls: ReadonlyMap<string, FakeCall>;
  readonly requests: readonly RecordedApiRequest[];
  readonly updates: readonly RecordedUpdate[];
  readonly callbacks: readonly RecordedCallback[];
  now(): number;
  call(sid: string): FakeCall;
  waitFor(predicate: () => boolean, timeoutMs?: number, description?: string): Promise<void>;
  waitForCallStatus(sid: string, status: TwilioCallStatus, timeoutMs?: number): Promise<FakeCall>;
  /** The call's `index`-th Media Streams caller (0 = first), once connected. */
  waitForMediaCaller(sid: string, timeoutMs?: number, index?: number): Promise<MediaStreamCaller>;
  waitForRelayCaller(sid: string, timeoutMs?: number, index?: number): Promise<RelayCaller>;
  /** Simulates an inbound call: POSTs the signed voice webhook, then runs the TwiML answered. */
  inboundCall(options: {
    voiceUrl: string;
    from: string;
    to: string;
    statusCallback?: string;
    statusCallbackEvents?: readonly string[];
  }): Promise<FakeCall>;
  /** The far end hangs up: open streams get `stop`, the call completes. */
  calleeHangup(sid: string): Promise<void>;
  close(): Promise<void>;
}

const FINAL: ReadonlySet<TwilioCallStatus> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the fake Twilio on an ephemeral port of 127.0.0.1. */
export async function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const origin = performance.now();
  const now = () => performance.now() - origin;
  const waiters = createWaiters();
  const calls = new Map<string, FakeCall>();
  const callbackSequence = new Map<string, number>();
  const requests: RecordedApiRequest[] = [];
  const updates: RecordedUpdate[] = [];
  const callbacks: RecordedCallback[] = [];
  const background = new Set<Promise<unknown>>();
  const resolveWebhookUrl = options.resolveWebhookUrl ?? ((url: string) => url);

  const detach = (work: Promise<unknown>, call?: FakeCall) => {
    const tracked = work.catch((error: unknown) => {
      call?.errors.push(`simulator: ${error instanceof Error ? error.message : String(error)}`);
    });
    background.add(tracked);
    void tracked.finally(() => background.delete(tracked));
  };

  async function post(call: FakeCall, kind: string, url: string, params: Record<string, string>) {
    const record: RecordedCallback = { kind, callSid: call.sid, url, params, status: 0, body: '', at: now() };
    try {
      const response = await signedWebhook(url, params, authToken, { postTo: resolveWebhookUrl(url) });
      record.status = response.status;
      record.body = await response.text();
    } catch (error) {
      record.body = error instanceof Error ? error.message : String(error);
    }
    callbacks.push(record);
    waiters.notify();
    return record;
  }

  function callParams(call: FakeCall): Record<string, string> {
    const params: Record<string, string> = {
      AccountSid: call.accountSid,
      ApiVersion: API_VERSION,
      CallSid: call.sid,
      CallStatus: call.status,
      Called: call.to,
      Caller: call.from,
      Direction: call.direction,
      From: call.from,
      To: call.to,
    };
    if (call.answeredBy !== undefined && single(call.params, 'AsyncAmd') !== 'true')
      params.AnsweredBy = call.answeredBy;
    return params;
  }

  function statusCallback(call: FakeCall, event: string, callStatus: string): void {
    const url = single(call.params, 'StatusCallback');
    if (url === undefined) return;
    const events = many(call.params, 'StatusCallbackEvent');
    if (!(events.length === 0 ? ['completed'] : events).includes(event)) return;
    const sequence = callbackSequence.get(call.sid) ?? 0;
    callbackSequence.set(call.sid, sequence + 1);
    const params: Record<string, string> = {
      ...callParams(call),
      CallStatus: callStatus,
      Timestamp: new Date().toUTCString(),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequence),
    };
    if (event === 'completed') {
      const duration =
        call.answeredAt === undefined ? 0 : Math.round(((call.endedAt ?? now()) - call.answeredAt) / 1000);
      params.CallDuration = String(duration);
    }
    detach(post(call, 'status', url, params), call);
  }

  function endCall(call: FakeCall, status: TwilioCallStatus): void {
    if (FINAL.has(call.status)) return;
    call.generation += 1;
    call.status = status;
    call.endedAt = now();
    for (const caller of call.mediaCallers) if (caller.isOpen()) detach(caller.hangup(), call);
    for (const caller of call.relayCallers) if (caller.isOpen()) detach(caller.hangup(), call);
    statusCallback(call, 'completed', status);
    waiters.notify();
  }

  const context: RunnerContext = {
    accountSid,
    authToken,
    now,
    resolveStreamUrl: options.resolveStreamUrl ?? ((url) => url.replace(/^wss:/, 'ws:')),
    mediaCallerOptions: { ...options.mediaCaller },
    onMediaCaller: options.onMediaCaller,
    onRelayCaller: options.onRelayCaller,
    async fetchTwiml(call, kind, url, extra) {
      const record = await post(call, kind, url, { ...callParams(call), ...extra });
      if (record.status >= 200 && record.status < 300) return record.body;
      call.errors.push(`11200 HTTP retrieval failure: ${kind} ${url} answered ${record.status}`);
      return undefined;
    },
    async notify(call, kind, url, params) {
      await post(call, kind, url, params);
    },
    endCall,
    changed: () => waiters.notify(),
  };

  function newCall(
    direction: FakeCall['direction'],
    to: string,
    from: string,
    params: TwilioParams,
  ): FakeCall {
    const call: FakeCall = {
      sid: `CA${randomBytes(16).toString('hex')}`,
      accountSid,
      direction,
      to,
      from,
      status: direction === 'inbound' ? 'ringing' : 'queued',
      createdAt: now(),
      answeredAt: undefined,
      endedAt: undefined,
      answeredBy: undefined,
      params,
      documents: [],
      verbs: [],
      mediaCallers: [],
      relayCallers: [],
      errors: [],
      generation: 0,
    };
    calls.set(call.sid, call);
    waiters.notify();
    return call;
  }

  /** Fetches (Url) or takes (Twiml) the call's instructions and runs them. */
  async function runInstructions(call: FakeCall, twiml: string | undefined, url: string | undefined) {
    const generation = call.generation;
    const document =
      twiml ?? (url === undefined ? undefined : await context.fetchTwiml(call, 'twiml', url, {}));
    if (call.generation !== generation) return;
    if (document === undefined) endCall(call, 'completed');
    else await runTwiml(context, call, document, generation);
  }

  /** Pending instructions set by an update before the call was answered. */
  const pendingInstructions = new Map<string, { twiml?: string; url?: string }>();

  async function place(call: FakeCall): Promise<void> {
    const callee = options.callees?.[call.to] ?? {};
    statusCallback(call, 'initiated', 'initiated');
    await sleep(options.ringDelayMs ?? 20);
    if (FINAL.has(call.status)) return;
    call.status = 'ringing';
    statusCallback(call, 'ringing', 'ringing');
    waiters.notify();
    await sleep(options.answerDelayMs ?? 20);
    if (FINAL.has(call.status)) return;
    const outcome = callee.outcome ?? 'answer';
    if (outcome !== 'answer') {
      endCall(call, outcome);
      return;
    }
    const machineDetection = single(call.params, 'MachineDetection');
    const asyncAmd = single(call.params, 'AsyncAmd') === 'true';
    call.status = 'in-progress';
    call.answeredAt = now();
    if (machineDetection !== undefined && !asyncAmd) {
      // Synchronous AMD: the TwiML waits for detection and gets AnsweredBy.
      await sleep(options.amdDelayMs ?? 50);
      if (FINAL.has(call.status)) return;
      call.answeredBy = callee.answeredBy ?? 'human';
    }
    statusCallback(call, 'answered', 'in-progress');
    waiters.notify();
    const amdCallback = single(call.params, 'AsyncAmdStatusCallback');
    if (machineDetection !== undefined && asyncAmd && amdCallback !== undefined) {
      detach(
        (async () => {
          await sleep(options.amdDelayMs ?? 50);
          if (FINAL.has(call.status)) return;
          call.answeredBy = callee.answeredBy ?? 'human';
          await post(call, 'amd', amdCallback, {
            AccountSid: accountSid,
            CallSid: call.sid,
            AnsweredBy: call.answeredBy,
            MachineDetectionDuration: String(options.amdDelayMs ?? 50),
          });
        })(),
        call,
      );
    }
    const pending = pendingInstructions.get(call.sid);
    pendingInstructions.delete(call.sid);
    await runInstructions(
      call,
      pending ? pending.twiml : single(call.params, 'Twiml'),
      pending ? pending.url : single(call.params, 'Url'),
    );
  }

  const callResource = (call: FakeCall) => describeCall(call, now());

  function createCall(params: TwilioParams): { status: number; body: unknown } {
    const checked = validateCreateCall(params);
    if (!checked.ok) return checked.error;
    const { to, from } = checked;
    const call = newCall('outbound-api', to, from, params);
    detach(place(call), call);
    return { status: 201, body: callResource(call) };
  }

  function updateCall(call: FakeCall, params: TwilioParams): { status: number; body: unknown } {
    const twiml = single(params, 'Twiml');
    const url = single(params, 'Url');
    const status = single(params, 'Status');
    const record: RecordedUpdate = {
      callSid: call.sid,
      at: now(),
      params,
      twiml,
      url,
      status,
      httpStatus: 200,
    };
    updates.push(record);
    const answer = (httpStatus: number, body: unknown) => {
      record.httpStatus = httpStatus;
      waiters.notify();
      return { status: httpStatus, body };
    };
    if (status !== undefined && status !== 'completed' && status !== 'canceled') {
      return answer(400, twilioError(400, 20001, `Invalid Status: ${status}`));
    }
    if (twiml !== undefined && url !== undefined) {
      return answer(400, twilioError(400, 20001, 'Only one of Url or Twiml may be given'));
    }
    if (status === 'completed') endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
    else if (status === 'canceled' && (call.status === 'queued' || call.status === 'ringing'))
      endCall(call, 'canceled');
    if (status !== undefined || (twiml === undefined && url === undefined))
      return answer(200, callResource(call));
    if (FINAL.has(call.status)) {
      return answer(400, twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
    }
    if (call.status !== 'in-progress') {
      pendingInstructions.set(call.sid, { twiml, url });
      return answer(200, callResource(call));
    }
    // Replacing the TwiML ends the running verb: an open stream gets `stop` and its socket closes.
    call.generation += 1;
    const openCallers = [
      ...call.mediaCallers.filter((caller) => caller.isOpen()),
      ...call.relayCallers.filter((caller) => caller.isOpen()),
    ];
    detach(
      (async () => {
        await Promise.all(openCallers.map((caller) => caller.hangup()));
        await runInstructions(call, twiml, url);
      })(),
      call,
    );
    return answer(200, callResource(call));
  }

  async function route(
    request: IncomingMessage,
  ): Promise<{ status: number; body: unknown; params: TwilioParams }> {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const body = request.method === 'POST' ? await readBody(request) : '';
    const params = formParams(body);
    if (!basicAuthMatches(request.headers.authorization, accountSid, authToken)) {
      return { status: 401, body: twilioError(401, 20003, 'Authenticate'), params };
    }
    const notFound = {
      status: 404,
      body: twilioError(404, 20404, `The requested resource ${path} was not found`),
      params,
    };
    const list = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(path);
    const item = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/.exec(path);
    const pathAccount = decodeURIComponent(list?.[1] ?? item?.[1] ?? '');
    if (pathAccount !== accountSid) return notFound;
    if (list && request.method === 'POST') return { ...createCall(params), params };
    if (!item) return { status: 405, body: twilioError(405, 20004, 'Method not allowed'), params };
    const call = calls.get(decodeURIComponent(item[2] ?? ''));
    if (call === undefined) return notFound;
    if (request.method === 'GET') return { status: 200, body: callResource(call), params };
    if (request.method === 'POST') return { ...updateCall(call, params), params };
    return { status: 405, body: twilioError(405, 20004, 'Method not allowed'), params };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void route(request)
      .then(({ status, body, params }) => {
        requests.push({
          method: request.method ?? '',
          path: request.url ?? '',
          params,
          status,
          response: body,
          at: now(),
        });
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
        waiters.notify();
      })
      .catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(twilioError(500, 20500, String(error))));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const fake: FakeTwilio = {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    calls,
    requests,
    updates,
    callbacks,
    now,
    call(sid) {
      const call = calls.get(sid);
      if (call === undefined) throw new Error(`fake Twilio has no call ${sid}`);
      return call;
    },
    waitFor: (predicate, timeoutMs = 5000, description = 'a condition') =>
      waiters.waitFor(predicate, timeoutMs, description),
    async waitForCallStatus(sid, status, timeoutMs = 5000) {
      await waiters.waitFor(
        () => calls.get(sid)?.status === status,
        timeoutMs,
        `call ${sid} to be ${status}`,
      );
      return fake.call(sid);
    },
    async waitForMediaCaller(sid, timeoutMs = 5000, index = 0) {
      await waiters.waitFor(
        () => (calls.get(sid)?.mediaCallers.length ?? 0) > index,
        timeoutMs,
        `media stream #${index} of call ${sid}`,
      );
      const caller = fake.call(sid).mediaCallers[index];
      if (caller === undefined) throw new Error('media caller vanished');
      return caller;
    },
    async waitForRelayCaller(sid, timeoutMs = 5000, index = 0) {
      await waiters.waitFor(
        () => (calls.get(sid)?.relayCallers.length ?? 0) > index,
        timeoutMs,
        `relay session #${index} of call ${sid}`,
      );
      const caller = fake.call(sid).relayCallers[index];
      if (caller === undefined) throw new Error('relay caller vanished');
      return caller;
    },
    async inboundCall(inbound) {
      const params: TwilioParams = {};
      if (inbound.statusCallback !== undefined) {
        params.StatusCallback = inbound.statusCallback;
        if (inbound.statusCallbackEvents) params.StatusCallbackEvent = [...inbound.statusCallbackEvents];
      }
      const call = newCall('inbound', inbound.to, inbound.from, params);
      const document = await context.fetchTwiml(call, 'voice', inbound.voiceUrl, {});
      if (document === undefined) {
        endCall(call, 'failed');
        return call;
      }
      let rejected = false;
      try {
        rejected = childElements(parseTwiml(document))[0]?.name === 'Reject';
      } catch {
        rejected = false;
      }
      if (!rejected) {
        call.status = 'in-progress';
        call.answeredAt = now();
      }
      detach(runTwiml(context, call, document, call.generation), call);
      return call;
    },
    async calleeHangup(sid) {
      const call = fake.call(sid);
      const open = call.mediaCallers.filter((caller) => caller.isOpen());
      endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
      await Promise.all(open.map((caller) => caller.closed));
    },
    async close() {
      for (const call of calls.values())
        endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
      await Promise.allSettled([...background]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
