import { z } from 'zod';

/**
 * A small client for the three Twilio REST calls the voice node makes: place an outbound call,
 * update a live call (replace its TwiML to transfer, or hang up) and read a call. We speak the wire
 * protocol over `fetch` instead of pulling in the Twilio SDK: form-encoded bodies (repeated
 * `StatusCallbackEvent` keys), Basic auth, JSON error bodies turned into `TwilioApiError`, and a
 * timeout on every request so a slow API never stalls a call.
 */

/** Call statuses Twilio reports. */
export type TwilioCallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** Status callback events a created call can report. */
export type TwilioCallEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

/** The part of a Call resource we use. */
export interface TwilioCall {
  sid: string;
  status: TwilioCallStatus;
}

/** Twilio answered with an error status; `code` is Twilio's error code (e.g. 20404, 21211) when given. */
export class TwilioApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  readonly moreInfo: string | undefined;

  constructor(status: number, code: number | undefined, message: string, moreInfo?: string) {
    super(message);
    this.name = 'TwilioApiError';
    this.status = status;
    this.code = code;
    this.moreInfo = moreInfo;
  }
}

/** The request never produced a usable answer: timed out, aborted by the caller, network failure, junk. */
export class TwilioRequestError extends Error {
  readonly reason: 'timeout' | 'aborted' | 'network' | 'invalid-response';

  constructor(reason: TwilioRequestError['reason'], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'TwilioRequestError';
    this.reason = reason;
  }
}

/** Options of `createTwilioRestClient`. */
export interface TwilioRestClientOptions {
  accountSid: string;
  authToken: string;
  /** `https://api.twilio.com` by default; a regional host or a local fake in tests. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Per request, including reading the body (default 10 s). */
  timeoutMs?: number;
}

/** Where the call's TwiML comes from: inline, or fetched from a URL when answered. */
export type TwilioCallInstructions = { twiml: string; url?: never } | { url: string; twiml?: never };

/** Options of `createCall`. */
export type CreateCallParams = TwilioCallInstructions & {
  to: string;
  from: string;
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** Defaults to Twilio's default (`completed` only) when omitted. */
  statusCallbackEvents?: readonly TwilioCallEvent[];
  machineDetection?: 'Enable' | 'DetectMessageEnd';
  /** Connect at once and POST `AnsweredBy` to `asyncAmdStatusCallback` later. */
  asyncAmd?: boolean;
  asyncAmdStatusCallback?: string;
  /** Ring time before `no-answer`. */
  timeoutSeconds?: number;
  /** Maximum call length. */
  timeLimitSeconds?: number;
  signal?: AbortSignal;
};

/** What `updateCall` changes: new TwiML (ends a `<Connect><Stream>`), a TwiML URL, or the status. */
export type UpdateCallParams = { twiml: string } | { url: string } | { status: 'completed' | 'canceled' };

/** The client `createTwilioRestClient` returns. */
export interface TwilioRestClient {
  createCall(params: CreateCallParams): Promise<TwilioCall>;
  updateCall(
    callSid: string,
    update: UpdateCallParams,
    options?: { signal?: AbortSignal },
  ): Promise<TwilioCall>;
  fetchCall(callSid: string, options?: { signal?: AbortSignal }): Promise<TwilioCall>;
  /** Ends the call; a call Twilio no longer knows (404 / 20404) counts as already ended. */
  hangup(callSid: string, options?: { signal?: AbortSignal }): Promise<{ alreadyEnded: boolean }>;
}

const callSchema = z.object({
  sid: z.string().min(1),
  status: z.enum([
    'queued',
    'ringing',
    'in-progress',
    'completed',
    'busy',
    'failed',
    'no-answer',
    'canceled',
  ]),
});

const errorBodySchema = z.object({
  code: z.number().optional(),
  message: z.string().optional(),
  more_info: z.string().optional(),
  status: z.number().optional(),
});

function positiveInteger(value: number | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return String(value);
}

/** The form body of a Create Call request (exported for tests and for logging without secrets). */
export function createCallForm(params: CreateCallParams): URLSearchParams {
  const hasTwiml = typeof params.twiml === 'string';
  const hasUrl = typeof params.url === 'string';
  if (hasTwiml === hasUrl) throw new TypeError('createCall needs exactly one of twiml or url');
  const form = new URLSearchParams();
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) form.append(name, value);
  };
  set('To', params.to);
  set('From', params.from);
  set('Twiml', params.twiml);
  set('Url', params.url);
  if (params.statusCallback !== undefined) {
    set('StatusCallback', params.statusCallback);
    set('StatusCallbackMethod', params.statusCallbackMethod ?? 'POST');
    for (const event of params.statusCallbackEvents ?? []) form.append('StatusCallbackEvent', event);
  }
  set('MachineDetection', params.machineDetection);
  if (params.asyncAmd !== undefined) set('AsyncAmd', params.asyncAmd ? 'true' : 'false');
  if (params.asyncAmdStatusCallback !== undefined) {
    set('AsyncAmdStatusCallback', params.asyncAmdStatusCallback);
    set('AsyncAmdStatusCallbackMethod', 'POST');
  }
  set('Timeout', positiveInteger(params.timeoutSeconds, 'timeoutSeconds'));
  set('TimeLimit', positiveInteger(params.timeLimitSeconds, 'timeLimitSeconds'));
  return form;
}

function updateCallForm(update: UpdateCallParams): URLSearchParams {
  if ('twiml' in update) return new URLSearchParams({ Twiml: update.twiml });
  if ('url' in update) return new URLSearchParams({ Url: update.url });
  return new URLSearchParams({ Status: update.status });
}

function toApiError(status: number, text: string): TwilioApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (parsed.success && (parsed.data.code !== undefined || parsed.data.message !== undefined)) {
    const { code, message, more_info: moreInfo } = parsed.data;
    return new TwilioApiError(status, code, message ?? `Twilio answered ${status}`, moreInfo);
  }
  return new TwilioApiError(status, undefined, `Twilio answered ${status}: ${text.slice(0, 200)}`);
}

/** A Twilio REST client over `fetch`. */
export function createTwilioRestClient(options: TwilioRestClientOptions): TwilioRestClient {
  const { accountSid, authToken } = options;
  const baseUrl = (options.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`, 'utf-8').toString('base64')}`;
  const callsPath = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Calls`;

  function callUrl(callSid: string): string {
    if (callSid === '') throw new TypeError('callSid must not be empty');
    return `${callsPath}/${encodeURIComponent(callSid)}.json`;
  }

  async function request(
    method: 'GET' | 'POST',
    url: string,
    form: URLSearchParams | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TwilioCall> {
    if (signal?.aborted) throw new TwilioRequestError('aborted', `Twilio ${method} aborted`);
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new TwilioRequestError('timeout', `Twilio ${method} timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    const onAbort = () => controller.abort(new TwilioRequestError('aborted', `Twilio ${method} aborted`));
    signal?.addEventListener('abort', onAbort, { once: true });
    let status: number;
    let text: string;
    try {
      const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json' };
      if (form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const response = await fetchImpl(url, {
        method,
        headers,
        body: form?.toString(),
        signal: controller.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof TwilioRequestError) throw reason;
      throw new TwilioRequestError('network', `Twilio ${method} failed: ${String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (status < 200 || status >= 300) throw toApiError(status, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TwilioRequestError('invalid-response', `Twilio answered ${status} with non-JSON`, {
        cause: error,
      });
    }
    const call = callSchema.safeParse(json);
    if (!call.success) {
      throw new TwilioRequestError('invalid-response', `Twilio answered ${status} without a call sid/status`);
    }
    return { sid: call.data.sid, status: call.data.status };
  }

  return {
    // async so argument errors reject like every other failure instead of throwing synchronously.
    createCall: async (params) => request('POST', `${callsPath}.json`, createCallForm(params), params.signal),
    updateCall: async (callSid, update, requestOptions = {}) =>
      request('POST', callUrl(callSid), updateCallForm(update), requestOptions.signal),
    fetchCall: async (callSid, requestOptions = {}) =>
      request('GET', callUrl(callSid), undefined, requestOptions.signal),
    async hangup(callSid, requestOptions = {}) {
      try {
        await request(
          'POST',
          callUrl(callSid),
          updateCallForm({ status: 'completed' }),
          requestOptions.signal,
        );
        return { alreadyEnded: false };
      } catch (error) {
        if (error instanceof TwilioApiError && (error.status === 404 || error.code === 20404)) {
          return { alreadyEnded: true };
        }
        throw error;
      }
    },
  };
}
