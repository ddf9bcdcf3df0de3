import type { IncomingMessage } from 'node:http';
import type { TwilioParams } from '../../../voice-node/src/twilio/signature.ts';
import type { FakeCall } from './twiml-runner.ts';

/**
 * The REST surface of the fake Twilio, without state: Twilio's JSON error bodies, Basic auth, the
 * Create Call validation (with Twilio's error codes where we know them) and the Call resource JSON.
 * Kept apart from the call simulation in `fake-twilio.ts`.
 */

export const API_VERSION = '2010-04-01';
const CALL_EVENTS = new Set(['initiated', 'ringing', 'answered', 'completed']);
/** E.164 numbers, SIP URIs and Twilio Client identities. */
const ADDRESS = /^(\+[1-9]\d{1,14}|(sip|client):\S+)$/;

/** An error answer as Twilio writes it. */
export interface TwilioErrorAnswer {
  status: number;
  body: { code: number; message: string; more_info: string; status: number };
}

/** Twilio's JSON error body. */
export function twilioError(status: number, code: number, message: string): TwilioErrorAnswer['body'] {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

const fail = (status: number, code: number, message: string): { ok: false; error: TwilioErrorAnswer } => ({
  ok: false,
  error: { status, body: twilioError(status, code, message) },
});

/** The last value of a form parameter. */
export function single(params: TwilioParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Every value of a (repeated) form parameter. */
export function many(params: TwilioParams, name: string): string[] {
  const value = params[name];
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** The whole request body as UTF-8. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** True when the Authorization header is Basic `accountSid:authToken`. */
export function basicAuthMatches(header: string | undefined, accountSid: string, authToken: string): boolean {
  if (header === undefined || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return (
    separator >= 0 && decoded.slice(0, separator) === accountSid && decoded.slice(separator + 1) === authToken
  );
}

/** Validates a Create Call form like Twilio: addresses, exactly one source of TwiML, enums, integers. */
export function validateCreateCall(
  params: TwilioParams,
): { ok: true; to: string; from: string } | { ok: false; error: TwilioErrorAnswer } {
  const to = single(params, 'To');
  const from = single(params, 'From');
  if (to === undefined || to === '') return fail(400, 21201, "No 'To' number is specified");
  if (from === undefined || from === '') return fail(400, 21213, "No 'From' number is specified");
  if (!ADDRESS.test(to)) return fail(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  if (!ADDRESS.test(from)) return fail(400, 21212, `Invalid 'From' Phone Number: ${from}`);
  const sources = ['Twiml', 'Url', 'ApplicationSid'].filter((name) => single(params, name) !== undefined);
  if (sources.length !== 1)
    return fail(400, 21205, 'Exactly one of Url, Twiml or ApplicationSid is required');
  const badEvent = many(params, 'StatusCallbackEvent').find((event) => !CALL_EVENTS.has(event));
  if (badEvent !== undefined) return fail(400, 20001, `Invalid StatusCallbackEvent: ${badEvent}`);
  const machineDetection = single(params, 'MachineDetection');
  if (machineDetection !== undefined && !['Enable', 'DetectMessageEnd'].includes(machineDetection)) {
    return fail(400, 20001, `Invalid MachineDetection: ${machineDetection}`);
  }
  for (const name of ['Timeout', 'TimeLimit']) {
    const value = single(params, name);
    if (value !== undefined && !/^[1-9]\d*$/.test(value))
      return fail(400, 20001, `Invalid ${name}: ${value}`);
  }
  return { ok: true, to, from };
}

/** The Call resource JSON for `call` at fake time `now` (ms). */
export function describeCall(call: FakeCall, now: number) {
  const wallClock = (at: number | undefined) =>
    at === undefined ? null : new Date(Date.now() - (now - at)).toUTCString();
  return {
    sid: call.sid,
    account_sid: call.accountSid,
    to: call.to,
    from: call.from,
    status: call.status,
    direction: call.direction,
    api_version: API_VERSION,
    answered_by: call.answeredBy ?? null,
    start_time: wallClock(call.answeredAt),
    end_time: wallClock(call.endedAt),
    duration:
      call.answeredAt === undefined || call.endedAt === undefined
        ? null
        : String(Math.round((call.endedAt - call.answeredAt) / 1000)),
    price: null,
    uri: `/${API_VERSION}/Accounts/${call.accountSid}/Calls/${call.sid}.json`,
  };
}
