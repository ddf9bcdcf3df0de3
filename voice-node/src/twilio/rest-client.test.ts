import { describe, expect, it } from 'vitest';
import {
  type CreateCallParams,
  createCallForm,
  createTwilioRestClient,
  TwilioApiError,
  TwilioRequestError,
} from './rest-client.ts';

/** The Twilio REST client against a recording fetch: form bodies, auth, error mapping, hangup semantics, timeouts. */

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'token-123';
const CALL_SID = 'CAfedcba9876543210fedcba9876543210';

interface Captured {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

/** A fetch that records requests and answers with `reply`. */
function stubFetch(reply: (request: Captured) => Response | Promise<Response>) {
  const captured: Captured[] = [];
  const fetchStub = (async (input: string | URL | Request, init?: RequestInit) => {
    const request: Captured = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    captured.push(request);
    return reply(request);
  }) as typeof fetch;
  return { captured, fetchStub };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function clientWith(reply: (request: Captured) => Response | Promise<Response>, timeoutMs?: number) {
  const { captured, fetchStub } = stubFetch(reply);
  const client = createTwilioRestClient({
    accountSid: ACCOUNT,
    authToken: TOKEN,
    baseUrl: 'https://api.example.test/',
    fetch: fetchStub,
    timeoutMs,
  });
  return { client, captured };
}

describe('createCall', () => {
  it('posts a form with repeated StatusCallbackEvent keys, Basic auth, and returns sid and status', async () => {
    const { client, captured } = clientWith(() =>
      json(201, { sid: CALL_SID, status: 'queued', to: '+15551230001' }),
    );
    const call = await client.createCall({
      to: '+15551230001',
      from: '+15559870002',
      twiml: '<Response><Say>Hi & bye</Say></Response>',
      statusCallback: 'https://agent.example.com/twilio/status',
      statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'Enable',
      asyncAmd: true,
      asyncAmdStatusCallback: 'https://agent.example.com/twilio/amd',
      timeoutSeconds: 30,
      timeLimitSeconds: 1800,
    });
    expect(call).toEqual({ sid: CALL_SID, status: 'queued' });
    const [request] = captured;
    expect(request?.url).toBe(`https://api.example.test/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`,
    );
    expect(request?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(request?.body);
    expect([...form.entries()]).toEqual([
      ['To', '+15551230001'],
      ['From', '+15559870002'],
      ['Twiml', '<Response><Say>Hi & bye</Say></Response>'],
      ['StatusCallback', 'https://agent.example.com/twilio/status'],
      ['StatusCallbackMethod', 'POST'],
      ['StatusCallbackEvent', 'initiated'],
      ['StatusCallbackEvent', 'ringing'],
      ['StatusCallbackEvent', 'answered'],
      ['StatusCallbackEvent', 'completed'],
      ['MachineDetection', 'Enable'],
      ['AsyncAmd', 'true'],
      ['AsyncAmdStatusCallback', 'https://agent.example.com/twilio/amd'],
      ['AsyncAmdStatusCallbackMethod', 'POST'],
      ['Timeout', '30'],
      ['TimeLimit', '1800'],
    ]);
    // The body is URL-encoded on the wire (the "+" of E.164 numbers must not become a space).
    expect(request?.body).toContain('To=%2B15551230001');
  });

  it('sends Url instead of Twiml and omits unset options', () => {
    const form = createCallForm({ to: '+1555', from: '+1666', url: 'https://a.example/twiml' });
    expect(form.toString()).toBe('To=%2B1555&From=%2B1666&Url=https%3A%2F%2Fa.example%2Ftwiml');
  });

  it('requires exactly one of twiml or url, and positive integer timeouts', () => {
    const both = {
      to: '+1',
      from: '+2',
      twiml: '<Response/>',
      url: 'https://x',
    } as unknown as CreateCallParams;
    const neither = { to: '+1', from: '+2' } as unknown as CreateCallParams;
    expect(() => createCallForm(both)).toThrow(/exactly one/);
    expect(() => createCallForm(neither)).toThrow(/exactly one/);
    expect(() => createCallForm({ to: '+1', from: '+2', url: 'https://x', timeoutSeconds: 0 })).toThrow(
      RangeError,
    );
  });

  it('turns a JSON error body into a TwilioApiError', async () => {
    const { client } = clientWith(() =>
      json(400, {
        code: 21211,
        message: "Invalid 'To' Phone Number",
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      }),
    );
    const error = await client
      .createCall({ to: 'x', from: '+1', url: 'https://x' })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TwilioApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 21211,
      message: "Invalid 'To' Phone Number",
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
  });

  it('keeps the HTTP status when the error body is not JSON', async () => {
    const { client } = clientWith(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const error = await client.fetchCall(CALL_SID).catch((caught) => caught);
    expect(error).toBeInstanceOf(TwilioApiError);
    expect(error).toMatchObject({ status: 502, code: undefined });
    expect(error.message).toContain('Bad gateway');
  });

  it('refuses a 2xx answer without a call', async () => {
    const { client } = clientWith(() => new Response('not json', { status: 200 }));
    await expect(client.fetchCall(CALL_SID)).rejects.toMatchObject({ reason: 'invalid-response' });
    const { client: other } = clientWith(() => json(200, { sid: CALL_SID, status: 'exploded' }));
    await expect(other.fetchCall(CALL_SID)).rejects.toMatchObject({ reason: 'invalid-response' });
  });
});

describe('updateCall, fetchCall and hangup', () => {
  it('posts Twiml, Url or Status to the call resource', async () => {
    const { client, captured } = clientWith(() => json(200, { sid: CALL_SID, status: 'in-progress' }));
    await client.updateCall(CALL_SID, { twiml: '<Response><Hangup/></Response>' });
    await client.updateCall(CALL_SID, { url: 'https://a.example/next' });
    await client.updateCall(CALL_SID, { status: 'canceled' });
    expect(captured.map((request) => request.url)).toEqual(
      Array(3).fill(`https://api.example.test/2010-04-01/Accounts/${ACCOUNT}/Calls/${CALL_SID}.json`),
    );
    expect(captured.map((request) => request.body)).toEqual([
      'Twiml=%3CResponse%3E%3CHangup%2F%3E%3C%2FResponse%3E',
      'Url=https%3A%2F%2Fa.example%2Fnext',
      'Status=canceled',
    ]);
  });

  it('fetches a call with GET and encodes the sid into the path', async () => {
    const { client, captured } = clientWith(() => json(200, { sid: CALL_SID, status: 'completed' }));
    expect(await client.fetchCall(CALL_SID)).toEqual({ sid: CALL_SID, status: 'completed' });
    await client.fetchCall('CA/../x');
    expect(captured[0]?.method).toBe('GET');
    expect(captured[0]?.body).toBeUndefined();
    expect(captured[1]?.url).toMatch(/\/Calls\/CA%2F..%2Fx\.json$/);
    await expect(client.fetchCall('')).rejects.toThrow(TypeError);
  });

  it('hangs up with Status=completed', async () => {
    const { client, captured } = clientWith(() => json(200, { sid: CALL_SID, status: 'completed' }));
    expect(await client.hangup(CALL_SID)).toEqual({ alreadyEnded: false });
    expect(captured[0]?.body).toBe('Status=completed');
  });

  it('treats 404 / 20404 as already ended, and rethrows other errors', async () => {
    const gone = clientWith(() => json(404, { code: 20404, message: 'not found', status: 404 }));
    expect(await gone.client.hangup(CALL_SID)).toEqual({ alreadyEnded: true });
    const weird = clientWith(() => json(400, { code: 20404, message: 'not found' }));
    expect(await weird.client.hangup(CALL_SID)).toEqual({ alreadyEnded: true });
    const failing = clientWith(() => json(500, { code: 20500, message: 'Internal error' }));
    await expect(failing.client.hangup(CALL_SID)).rejects.toMatchObject({ status: 500, code: 20500 });
  });
});

describe('timeouts, aborts and network failures', () => {
  const hanging = (request: Captured, signal: AbortSignal | undefined) =>
    new Promise<Response>((_, reject) => {
      void request;
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason));
    });

  function hangingClient(timeoutMs: number) {
    const fetchStub = ((_input: string | URL | Request, init?: RequestInit) =>
      hanging(
        { url: '', method: '', headers: new Headers(), body: undefined },
        init?.signal ?? undefined,
      )) as typeof fetch;
    return createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, fetch: fetchStub, timeoutMs });
  }

  it('times out', async () => {
    const started = performance.now();
    const error = await hangingClient(50)
      .fetchCall(CALL_SID)
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TwilioRequestError);
    expect(error.reason).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('aborts when the caller aborts, even before sending', async () => {
    const controller = new AbortController();
    const pending = hangingClient(5000).hangup(CALL_SID, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'TwilioRequestError', reason: 'aborted' });
    await expect(
      hangingClient(5000).fetchCall(CALL_SID, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      reason: 'aborted',
    });
  });

  it('wraps network failures', async () => {
    const { client } = clientWith(() => {
      throw new TypeError('fetch failed');
    });
    const error = await client.fetchCall(CALL_SID).catch((caught) => caught);
    expect(error).toMatchObject({ name: 'TwilioRequestError', reason: 'network' });
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});
