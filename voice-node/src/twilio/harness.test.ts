import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { startFakeTwilio } from '../../../test/support/twilio/fake-twilio.ts';
import {
  connectMediaStreamCaller,
  connectRelayCaller,
  type MediaStreamCaller,
  type MediaStreamCallerOptions,
  WebSocketUpgradeError,
} from '../../../test/support/twilio/simulated-caller.ts';
import { parseXml, XmlSyntaxError } from '../../../test/support/twilio/twiml-reader.ts';
import { signedWebhook } from '../../../test/support/twilio/webhooks.ts';
import {
  clearMessage,
  type MediaStreamInboundMessage,
  markMessage,
  mediaMessage,
  parseMediaMessage,
} from './media-messages.ts';
import { end, parseRelayMessage, type RelayInboundMessage, textToken } from './relay-messages.ts';
import { createTwilioRestClient, TwilioApiError } from './rest-client.ts';
import { formParams, validateTwilioSignature } from './signature.ts';
import { connectStreamTwiml, transferTwiml } from './twiml.ts';

/**
 * Tests of the simulated Twilio itself (callers, playback model, fake REST API), against a tiny
 * server written here that validates every frame with our own parsers and every signature with our
 * own signature module, so a harness that drifted from the protocol would fail here first.
 */

const TOKEN = 'harness-auth-token';
const PUBLIC_WSS = 'wss://voice.example.test';
const PUBLIC_HTTPS = 'https://voice.example.test';
const ACCOUNT = 'AC00000000000000000000000000000001';
const CALL = 'CA00000000000000000000000000000001';

interface Received<T> {
  at: number;
  message: T;
}

interface MediaConnection {
  socket: WebSocket;
  connectedAt: number;
  received: Received<MediaStreamInboundMessage>[];
  errors: string[];
  streamSid: () => string;
  send(text: string): number;
}

interface RelayConnection {
  socket: WebSocket;
  received: Received<RelayInboundMessage>[];
  errors: string[];
}

interface Webhook {
  path: string;
  params: Record<string, string | string[]>;
  valid: boolean;
}

/** A stand-in for the voice node: checks signatures on upgrades and webhooks, parses every frame. */
interface TestServer {
  port: number;
  media: MediaConnection[];
  relay: RelayConnection[];
  webhooks: Webhook[];
  /** The TwiML answered on POST /twilio/voice and /twilio/twiml. */
  voiceTwiml: string;
  onMedia?: (connection: MediaConnection) => void;
  close(): Promise<void>;
}

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
}

async function startTestServer(): Promise<TestServer> {
  const media: MediaConnection[] = [];
  const relay: RelayConnection[] = [];
  const webhooks: Webhook[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const state: TestServer = {
    port: 0,
    media,
    relay,
    webhooks,
    voiceTwiml: '<Response><Hangup/></Response>',
    close: async () => {},
  };
  const http: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const params = formParams(Buffer.concat(chunks).toString('utf8'));
      const path = request.url ?? '';
      const valid = validateTwilioSignature({
        authToken: TOKEN,
        signature: request.headers['x-twilio-signature'] as string | undefined,
        url: `${PUBLIC_HTTPS}${path}`,
        params,
      });
      webhooks.push({ path, params, valid });
      if (!valid) {
        response.writeHead(403).end('bad signature');
        return;
      }
      if (path === '/twilio/voice' || path === '/twilio/twiml') {
        response.writeHead(200, { 'Content-Type': 'text/xml' }).end(state.voiceTwiml);
        return;
      }
      response.writeHead(204).end();
    });
  });
  http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = request.url ?? '';
    const valid =
      !path.includes('?') &&
      validateTwilioSignature({
        authToken: TOKEN,
        signature: request.headers['x-twilio-signature'] as string | undefined,
        url: `${PUBLIC_WSS}${path}`,
      });
    if (!valid) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 13\r\nConnection: close\r\n\r\nbad signature');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (path === '/twilio/relay') {
        const connection: RelayConnection = { socket: ws, received: [], errors: [] };
        relay.push(connection);
        ws.on('message', (data) => {
          const parsed = parseRelayMessage(rawText(data));
          if (parsed.ok) connection.received.push({ at: performance.now(), message: parsed.message });
          else connection.errors.push(parsed.reason);
        });
        return;
      }
      const connection: MediaConnection = {
        socket: ws,
        connectedAt: performance.now(),
        received: [],
        errors: [],
        streamSid: () => {
          const start = connection.received.find((entry) => entry.message.event === 'start')?.message;
          return start && start.event === 'start' ? start.streamSid : '';
        },
        send(text) {
          ws.send(text);
          return performance.now();
        },
      };
      media.push(connection);
      ws.on('message', (data) => {
        const parsed = parseMediaMessage(rawText(data));
        if (parsed.ok) connection.received.push({ at: performance.now(), message: parsed.message });
        else connection.errors.push(parsed.reason);
      });
      state.onMedia?.(connection);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  state.port = (http.address() as AddressInfo).port;
  state.close = async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  };
  return state;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ofEvent = <E extends MediaStreamInboundMessage['event']>(connection: MediaConnection, event: E) =>
  connection.received
    .map((entry) => entry.message)
    .filter(
      (message): message is Extract<MediaStreamInboundMessage, { event: E }> => message.event === event,
    );

let server: TestServer;
const callers: MediaStreamCaller[] = [];

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await Promise.all(callers.splice(0).map((caller) => caller.hangup()));
  await server.close();
});

async function connect(options: Partial<MediaStreamCallerOptions> = {}): Promise<{
  caller: MediaStreamCaller;
  connection: MediaConnection;
}> {
  const caller = await connectMediaStreamCaller({
    wsUrl: `ws://127.0.0.1:${server.port}/twilio/media`,
    signedUrl: `${PUBLIC_WSS}/twilio/media`,
    authToken: TOKEN,
    callSid: CALL,
    accountSid: ACCOUNT,
    customParameters: { tenantId: 't_42', wsToken: 'one-time' },
    ...options,
  });
  callers.push(caller);
  const waitUntil = performance.now() + 2000;
  while (server.media.length === 0 && performance.now() < waitUntil) await sleep(2);
  const connection = server.media[server.media.length - 1];
  if (!connection) throw new Error('server saw no connection');
  await caller.waitFor(() => ofEvent(connection, 'start').length > 0, 2000, 'start at the server');
  return { caller, connection };
}

describe('simulated Media Streams caller: inbound protocol', () => {
  it('opens with connected then start, then 160-byte silence frames every 20 ms', async () => {
    const { caller, connection } = await connect();
    await sleep(300);
    expect(connection.errors).toEqual([]);
    const [first, second] = connection.received.map((entry) => entry.message);
    expect(first).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(second).toMatchObject({
      event: 'start',
      sequenceNumber: '1',
      streamSid: caller.streamSid,
      start: {
        streamSid: caller.streamSid,
        accountSid: ACCOUNT,
        callSid: CALL,
        tracks: ['inbound'],
        customParameters: { tenantId: 't_42', wsToken: 'one-time' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    expect(caller.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    const frames = ofEvent(connection, 'media');
    expect(frames.length).toBeGreaterThanOrEqual(10);
    expect(frames.length).toBeLessThanOrEqual(20);
    frames.forEach((frame, index) => {
      expect(frame.sequenceNumber).toBe(String(index + 2));
      expect(frame.media.chunk).toBe(String(index + 1));
      expect(frame.media.timestamp).toBe(String((index + 1) * 20));
      expect(frame.media.track).toBe('inbound');
      expect(frame.audio.length).toBe(160);
      expect(frame.audio.every((byte) => byte === 0xff)).toBe(true);
    });
  });

  it('sends queued speech in 160-byte frames, padding the last with silence, then silence again', async () => {
    const { caller, connection } = await connect();
    const speech = new Uint8Array(400).map((_, index) => index % 0x7f);
    caller.sendAudio(speech);
    await caller.audioSent();
    await sleep(60);
    const payloads = ofEvent(connection, 'media').map((frame) => frame.audio);
    const firstSpeech = payloads.findIndex((audio) => audio[0] !== 0xff);
    expect(firstSpeech).toBeGreaterThanOrEqual(0);
    const spoken = payloads.slice(firstSpeech, firstSpeech + 3);
    expect(Buffer.concat(spoken).subarray(0, 400).equals(Buffer.from(speech))).toBe(true);
    expect(spoken[2]?.subarray(80).every((byte) => byte === 0xff)).toBe(true);
    expect(payloads[firstSpeech + 3]?.every((byte) => byte === 0xff)).toBe(true);
  });

  it('can stay quiet when idle, leaving timestamp gaps like a real stream', async () => {
    const { caller, connection } = await connect({ silenceWhenIdle: false });
    await sleep(100);
    expect(ofEvent(connection, 'media')).toHaveLength(0);
    caller.sendAudio(new Uint8Array(320).fill(0x10));
    await caller.audioSent();
    await caller.waitFor(() => ofEvent(connection, 'media').length === 2, 1000);
    const [a, b] = ofEvent(connection, 'media');
    expect(a?.media.chunk).toBe('1');
    expect(Number(a?.media.timestamp)).toBeGreaterThanOrEqual(80);
    expect(Number(b?.media.timestamp) - Number(a?.media.timestamp)).toBe(20);
  });

  it('sends everything at once when not real time', async () => {
    const { caller, connection } = await connect({ realtime: false });
    caller.sendAudio(new Uint8Array(1600).fill(0x22));
    await caller.waitFor(() => ofEvent(connection, 'media').length === 10, 500, '10 frames');
    const frames = ofEvent(connection, 'media');
    expect(frames.map((frame) => frame.media.timestamp)).toEqual(
      Array.from({ length: 10 }, (_, index) => String((index + 1) * 20)),
    );
    expect(caller.framesSent).toBe(10);
  });

  it('sends dtmf and, on hangup, stop before closing', async () => {
    const { caller, connection } = await connect();
    caller.sendDtmf('#');
    expect(() => caller.sendDtmf('A')).toThrow();
    const closed = await caller.hangup();
    expect(closed.by).toBe('caller');
    await caller.waitFor(() => ofEvent(connection, 'stop').length === 1, 1000, 'stop');
    expect(ofEvent(connection, 'dtmf')[0]?.dtmf).toEqual({ track: 'inbound_track', digit: '#' });
    const stop = ofEvent(connection, 'stop')[0];
    expect(stop?.stop).toEqual({ accountSid: ACCOUNT, callSid: CALL });
    const sequence = connection.received
      .slice(1)
      .map((entry) => Number((entry.message as { sequenceNumber: string }).sequenceNumber));
    expect(sequence).toEqual(sequence.map((_, index) => index + 1));
    expect(connection.errors).toEqual([]);
  });

  it('reports a server-side close', async () => {
    const { caller, connection } = await connect();
    connection.socket.close(4000, 'agent done');
    const closed = await caller.closed;
    expect(closed).toMatchObject({ code: 4000, reason: 'agent done', by: 'server' });
    expect(caller.isOpen()).toBe(false);
  });
});

describe('simulated Media Streams caller: upgrade signature', () => {
  const base = {
    wsUrl: '',
    signedUrl: `${PUBLIC_WSS}/twilio/media`,
    callSid: CALL,
    accountSid: ACCOUNT,
  };

  it('signs the public wss URL so our validator accepts it', async () => {
    const { caller } = await connect();
    expect(caller.isOpen()).toBe(true);
  });

  it('is refused with 403 for a wrong token, a missing signature, or another signed URL', async () => {
    const wsUrl = `ws://127.0.0.1:${server.port}/twilio/media`;
    const attempts = [
      { ...base, wsUrl, authToken: 'wrong-token' },
      { ...base, wsUrl, signature: null },
      { ...base, wsUrl, signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      { ...base, wsUrl, authToken: TOKEN, signedUrl: `${PUBLIC_WSS}/twilio/other` },
    ];
    for (const attempt of attempts) {
      const error = await connectMediaStreamCaller(attempt).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WebSocketUpgradeError);
      expect((error as WebSocketUpgradeError).status).toBe(403);
    }
    expect(server.media).toHaveLength(0);
  });
});

describe('simulated Media Streams caller: playback, marks and clear', () => {
  it('echoes a mark only after the audio before it has played, and hears all of it', async () => {
    const { caller, connection } = await connect();
    const audio = new Uint8Array(3200).map((_, index) => (index * 7) % 256); // 400 ms
    let sentAt = 0;
    for (let offset = 0; offset < audio.length; offset += 160) {
      const at = connection.send(mediaMessage(connection.streamSid(), audio.subarray(offset, offset + 160)));
      if (offset === 0) sentAt = at;
    }
    connection.send(markMessage(connection.streamSid(), 'g1:item_1:400'));
    await caller.waitFor(() => ofEvent(connection, 'mark').length === 1, 2000, 'the mark echo');
    const echo = connection.received.find((entry) => entry.message.event === 'mark');
    const elapsed = (echo?.at ?? 0) - sentAt;
    expect(elapsed).toBeGreaterThanOrEqual(395);
    expect(elapsed).toBeLessThan(650);
    expect(echo?.message).toMatchObject({
      event: 'mark',
      streamSid: caller.streamSid,
      mark: { name: 'g1:item_1:400' },
    });
    expect(typeof (echo?.message as { sequenceNumber?: unknown } | undefined)?.sequenceNumber).toBe('string');
    expect(caller.markEchoes).toEqual([expect.objectContaining({ name: 'g1:item_1:400', cleared: false })]);
    await caller.playbackIdle(1000);
    expect(Buffer.from(caller.heardAudio()).equals(Buffer.from(audio))).toBe(true);
    expect(caller.mediaFrames).toHaveLength(20);
    expect(caller.protocolErrors).toEqual([]);
  });

  it('echoes a mark at once when nothing is buffered', async () => {
    const { caller, connection } = await connect();
    const sentAt = connection.send(markMessage(connection.streamSid(), 'empty'));
    await caller.waitFor(() => ofEvent(connection, 'mark').length === 1, 1000, 'the mark echo');
    const echo = connection.received.find((entry) => entry.message.event === 'mark');
    expect((echo?.at ?? 0) - sentAt).toBeLessThan(100);
  });

  it('on clear drops unplayed audio and echoes every pending mark immediately', async () => {
    const { caller, connection } = await connect();
    const sid = connection.streamSid();
    const first = new Uint8Array(16_000).fill(0x11); // 2 s
    const second = new Uint8Array(8000).fill(0x22); // 1 s
    connection.send(mediaMessage(sid, first));
    connection.send(markMessage(sid, 'a'));
    connection.send(mediaMessage(sid, second));
    connection.send(markMessage(sid, 'b'));
    await caller.waitFor(() => caller.mediaFrames.length === 2, 1000, 'audio to arrive');
    await sleep(200);
    const clearSentAt = connection.send(clearMessage(sid));
    await caller.waitFor(() => ofEvent(connection, 'mark').length === 2, 1000, 'both echoes');
    const echoes = connection.received.filter((entry) => entry.message.event === 'mark');
    for (const echo of echoes) expect(echo.at - clearSentAt).toBeLessThan(100);
    expect(ofEvent(connection, 'mark').map((mark) => mark.mark.name)).toEqual(['a', 'b']);
    expect(caller.markEchoes.map((echo) => [echo.name, echo.cleared])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(caller.clears).toHaveLength(1);
    expect(caller.bufferedMs()).toBe(0);
    const heard = caller.heardAudio();
    // About 200 ms were heard before the clear: all from the first item, none from the second.
    expect(heard.length).toBeGreaterThan(1200);
    expect(heard.length).toBeLessThan(4000);
    expect(heard.every((byte) => byte === 0x11)).toBe(true);
    expect(caller.receivedAudio().length).toBe(24_000);
    // Audio after the clear plays from now and is heard in full.
    connection.send(mediaMessage(sid, new Uint8Array(400).fill(0x33)));
    await caller.waitFor(() => caller.mediaFrames.length === 3, 1000, 'new audio');
    await caller.playbackIdle(1000);
    const after = caller.heardAudio();
    expect(after.length).toBe(heard.length + 400);
    expect(after.subarray(heard.length).every((byte) => byte === 0x33)).toBe(true);
  });

  it('records protocol errors for loose or foreign messages', async () => {
    const { caller, connection } = await connect();
    connection.socket.send(JSON.stringify({ event: 'mark', streamSid: connection.streamSid() }));
    connection.socket.send(markMessage('MZ-someone-else', 'x'));
    connection.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    connection.socket.send(
      JSON.stringify({ event: 'media', streamSid: connection.streamSid(), media: { payload: '%%' } }),
    );
    await caller.waitFor(() => caller.protocolErrors.length === 4, 1000, 'four protocol errors');
    expect(caller.protocolErrors[0]).toMatch(/mark/);
    expect(caller.protocolErrors[1]).toMatch(/streamSid/);
    expect(caller.protocolErrors[2]).toMatch(/binary/);
    expect(caller.protocolErrors[3]).toMatch(/base64/);
    expect(caller.markEchoes).toHaveLength(0);
  });
});

describe('simulated ConversationRelay caller', () => {
  it('sends setup and prompts, assembles talk cycles, answers bad messages with error, parses end', async () => {
    const caller = await connectRelayCaller({
      wsUrl: `ws://127.0.0.1:${server.port}/twilio/relay`,
      signedUrl: `${PUBLIC_WSS}/twilio/relay`,
      authToken: TOKEN,
      callSid: CALL,
      accountSid: ACCOUNT,
      from: '+15551230001',
      customParameters: { tenantId: 't_42' },
    });
    await caller.waitFor(() => server.relay[0]?.received.length === 1, 1000, 'setup');
    const connection = server.relay[0];
    if (!connection) throw new Error('no relay connection');
    expect(connection.received[0]?.message).toMatchObject({
      type: 'setup',
      callSid: CALL,
      accountSid: ACCOUNT,
      from: '+15551230001',
      customParameters: { tenantId: 't_42' },
    });
    caller.prompt('What is my balance?');
    caller.dtmf('5');
    connection.socket.send(textToken('Your balance ', false));
    connection.socket.send(textToken('is $5.', true));
    const cycle = await caller.waitForTalkCycle(1);
    expect(cycle).toMatchObject({
      text: 'Your balance is $5.',
      tokens: ['Your balance ', 'is $5.'],
      complete: true,
    });
    connection.socket.send(textToken('Anything ', false));
    await caller.waitFor(() => caller.currentCycle() !== undefined, 1000);
    caller.interrupt('Anything', 400);
    expect(caller.talkCycles[1]).toMatchObject({ text: 'Anything ', interrupted: true, complete: false });
    connection.socket.send('{"type":"end","handoffData":{"not":"a string"}}');
    await caller.waitFor(() => connection.received.some((entry) => entry.message.type === 'error'), 1000);
    expect(caller.protocolErrors).toHaveLength(1);
    connection.socket.send(end({ reasonCode: 'live-agent-handoff', queue: 'billing' }));
    const ended = await caller.waitForEnd();
    expect(ended.handoffData).toEqual({ reasonCode: 'live-agent-handoff', queue: 'billing' });
    expect((await caller.closed).code).toBe(1000);
    expect(connection.received.map((entry) => entry.message.type)).toEqual([
      'setup',
      'prompt',
      'dtmf',
      'interrupt',
      'error',
    ]);
    expect(connection.errors).toEqual([]);
  });
});

describe('fake Twilio', () => {
  const resolveStreamUrl = (url: string) => url.replace(PUBLIC_WSS, `ws://127.0.0.1:${server.port}`);
  const resolveWebhookUrl = (url: string) => url.replace(PUBLIC_HTTPS, `http://127.0.0.1:${server.port}`);

  async function fake(options: Parameters<typeof startFakeTwilio>[0] = {}) {
    const twilio = await startFakeTwilio({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      ringDelayMs: 5,
      answerDelayMs: 5,
      amdDelayMs: 20,
      resolveStreamUrl,
      resolveWebhookUrl,
      ...options,
    });
    const client = createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, baseUrl: twilio.baseUrl });
    return { twilio, client };
  }

  it('refuses bad credentials, unknown calls and invalid creations with Twilio error bodies', async () => {
    const { twilio, client } = await fake();
    try {
      const intruder = createTwilioRestClient({
        accountSid: ACCOUNT,
        authToken: 'nope',
        baseUrl: twilio.baseUrl,
      });
      const denied = await intruder
        .createCall({ to: '+15551230001', from: '+15559870002', twiml: '<Response/>' })
        .catch((caught: unknown) => caught);
      expect(denied).toBeInstanceOf(TwilioApiError);
      expect(denied).toMatchObject({ status: 401, code: 20003 });
      const unknown = 'CA0000000000000000000000000000dead';
      await expect(client.updateCall(unknown, { twiml: '<Response/>' })).rejects.toMatchObject({
        status: 404,
        code: 20404,
      });
      expect(await client.hangup(unknown)).toEqual({ alreadyEnded: true });
      await expect(
        client.createCall({ to: '5551230001', from: '+15559870002', twiml: '<Response/>' }),
      ).rejects.toMatchObject({ status: 400, code: 21211 });
      const raw = await fetch(`${twilio.baseUrl}/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'To=%2B15551230001&From=%2B15559870002',
      });
      expect(raw.status).toBe(400);
      expect(await raw.json()).toMatchObject({ code: 21205, status: 400 });
      expect(twilio.calls.size).toBe(0);
    } finally {
      await twilio.close();
    }
  });

  it('places a call: signed status callbacks, a media stream with parameters, and update closing it', async () => {
    const { twilio, client } = await fake();
    try {
      const created = await client.createCall({
        to: '+15551230001',
        from: '+15559870002',
        twiml: connectStreamTwiml({
          streamUrl: `${PUBLIC_WSS}/twilio/media`,
          parameters: { tenantId: 't_42', wsToken: 'tok & more' },
        }),
        statusCallback: `${PUBLIC_HTTPS}/twilio/status`,
        statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
      });
      expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(created.status).toBe('queued');
      const caller = await twilio.waitForMediaCaller(created.sid);
      expect(caller.customParameters).toEqual({ tenantId: 't_42', wsToken: 'tok & more' });
      await caller.waitFor(() => server.media.length === 1, 1000);
      const connection = server.media[0];
      if (!connection) throw new Error('no media connection');
      await caller.waitFor(() => ofEvent(connection, 'start').length === 1, 1000);
      expect(ofEvent(connection, 'start')[0]?.start.callSid).toBe(created.sid);
      expect((await client.fetchCall(created.sid)).status).toBe('in-progress');

      await client.updateCall(created.sid, {
        twiml: transferTwiml({ say: 'Transferring you now.', to: '+15550001111' }),
      });
      const closed = await caller.closed;
      expect(closed.by).toBe('caller');
      await caller.waitFor(() => ofEvent(connection, 'stop').length === 1, 1000, 'stop at the server');
      const call = await twilio.waitForCallStatus(created.sid, 'completed');
      expect(call.verbs.map((verb) => verb.verb)).toEqual(['Stream', 'Say', 'Dial']);
      expect(call.verbs[1]?.text).toBe('Transferring you now.');
      expect(call.verbs[2]?.targets).toEqual(['+15550001111']);
      expect(twilio.updates).toHaveLength(1);
      expect(twilio.updates[0]?.twiml).toContain('<Dial>');
      expect(call.errors).toEqual([]);

      await twilio.waitFor(
        () => twilio.callbacks.filter((callback) => callback.kind === 'status').length === 4,
      );
      const statuses = twilio.callbacks.filter((callback) => callback.kind === 'status');
      expect(statuses.map((callback) => callback.params.CallStatus)).toEqual([
        'initiated',
        'ringing',
        'in-progress',
        'completed',
      ]);
      expect(statuses.map((callback) => callback.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
      expect(statuses[3]?.params.CallDuration).toMatch(/^\d+$/);
      expect(statuses.every((callback) => callback.status === 204)).toBe(true);
      const received = server.webhooks.filter((webhook) => webhook.path === '/twilio/status');
      expect(received).toHaveLength(4);
      expect(received.every((webhook) => webhook.valid)).toBe(true);
    } finally {
      await twilio.close();
    }
  });

  it('replacing the TwiML stops the running stream before the new TwiML runs', async () => {
    const { twilio, client } = await fake();
    try {
      const twiml = connectStreamTwiml({ streamUrl: `${PUBLIC_WSS}/twilio/media`, parameters: { leg: '1' } });
      const created = await client.createCall({ to: '+15551230001', from: '+15559870002', twiml });
      const first = await twilio.waitForMediaCaller(created.sid);
      await client.updateCall(created.sid, {
        twiml: connectStreamTwiml({ streamUrl: `${PUBLIC_WSS}/twilio/media`, parameters: { leg: '2' } }),
      });
      const second = await twilio.waitForMediaCaller(created.sid, 2000, 1);
      expect((await first.closed).by).toBe('caller');
      expect(second.isOpen()).toBe(true);
      expect(second.customParameters).toEqual({ leg: '2' });
      expect(twilio.call(created.sid).status).toBe('in-progress');
      await second.waitFor(() => server.media.length === 2, 1000);
      const [old, fresh] = server.media;
      const stop = old?.received.find((entry) => entry.message.event === 'stop');
      expect(stop).toBeDefined();
      expect(stop?.at ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(fresh?.connectedAt ?? 0);
    } finally {
      await twilio.close();
    }
  });

  it('hangs up with Status=completed (stop on the stream) and reports async AMD', async () => {
    const { twilio, client } = await fake({ callees: { '+15551230009': { answeredBy: 'machine_start' } } });
    try {
      const created = await client.createCall({
        to: '+15551230009',
        from: '+15559870002',
        twiml: connectStreamTwiml({ streamUrl: `${PUBLIC_WSS}/twilio/media`, parameters: {} }),
        machineDetection: 'Enable',
        asyncAmd: true,
        asyncAmdStatusCallback: `${PUBLIC_HTTPS}/twilio/amd`,
      });
      const caller = await twilio.waitForMediaCaller(created.sid);
      await twilio.waitFor(
        () => server.webhooks.some((webhook) => webhook.path === '/twilio/amd'),
        2000,
        'AMD',
      );
      const amd = server.webhooks.find((webhook) => webhook.path === '/twilio/amd');
      expect(amd).toMatchObject({
        valid: true,
        params: { CallSid: created.sid, AnsweredBy: 'machine_start' },
      });
      expect(await client.hangup(created.sid)).toEqual({ alreadyEnded: false });
      expect((await caller.closed).by).toBe('caller');
      expect(twilio.call(created.sid).status).toBe('completed');
      await expect(client.updateCall(created.sid, { twiml: '<Response/>' })).rejects.toMatchObject({
        status: 400,
        code: 21220,
      });
    } finally {
      await twilio.close();
    }
  });

  it('reports busy callees and records TwiML Twilio could not parse', async () => {
    const { twilio, client } = await fake({ callees: { '+15550000001': { outcome: 'busy' } } });
    try {
      const busy = await client.createCall({
        to: '+15550000001',
        from: '+15559870002',
        twiml: '<Response/>',
        statusCallback: `${PUBLIC_HTTPS}/twilio/status`,
      });
      const broken = await client.createCall({
        to: '+15550000002',
        from: '+15559870002',
        twiml: '<Response><Say>A & B</Say></Response>',
      });
      await twilio.waitForCallStatus(busy.sid, 'busy');
      await twilio.waitForCallStatus(broken.sid, 'completed');
      expect(twilio.call(broken.sid).errors[0]).toMatch(/^12100/);
      await twilio.waitFor(() => server.webhooks.length === 1, 1000, 'completed callback');
      expect(server.webhooks[0]?.params).toMatchObject({
        CallStatus: 'busy',
        CallSid: busy.sid,
        SequenceNumber: '0',
      });
    } finally {
      await twilio.close();
    }
  });

  it('runs an inbound call from the voice webhook, continuing after the server closes the stream', async () => {
    const { twilio } = await fake();
    try {
      server.voiceTwiml = connectStreamTwiml({
        streamUrl: `${PUBLIC_WSS}/twilio/media`,
        parameters: { leg: 'in' },
      });
      server.onMedia = (connection) => {
        setTimeout(() => connection.socket.close(1000, 'bye'), 50);
      };
      const call = await twilio.inboundCall({
        voiceUrl: `${PUBLIC_HTTPS}/twilio/voice`,
        from: '+15551230001',
        to: '+15559870002',
      });
      expect(server.webhooks[0]).toMatchObject({
        path: '/twilio/voice',
        valid: true,
        params: { CallSid: call.sid, Direction: 'inbound', CallStatus: 'ringing', From: '+15551230001' },
      });
      await twilio.waitForCallStatus(call.sid, 'completed', 3000);
      expect(call.verbs.map((verb) => verb.verb)).toEqual(['Stream', 'Hangup']);
      expect(call.verbs[0]?.outcome).toBe('closed by server (1000)');
      expect(call.mediaCallers[0]?.customParameters).toEqual({ leg: 'in' });
    } finally {
      await twilio.close();
    }
  });

  it('records refused webhooks (11200) and refused stream handshakes (31920), then moves on', async () => {
    const { twilio } = await fake({ authToken: 'another-token' });
    try {
      server.voiceTwiml = connectStreamTwiml({ streamUrl: `${PUBLIC_WSS}/twilio/media`, parameters: {} });
      // Signed with another token, the voice webhook is refused too: Twilio records 11200, the call fails.
      const call = await twilio.inboundCall({
        voiceUrl: `${PUBLIC_HTTPS}/twilio/voice`,
        from: '+1555',
        to: '+1666',
      });
      expect(server.webhooks[0]?.valid).toBe(false);
      await twilio.waitForCallStatus(call.sid, 'failed');
      expect(call.errors[0]).toMatch(/^11200/);
    } finally {
      await twilio.close();
    }
    const { twilio: other } = await fake({ authToken: 'another-token' });
    try {
      const client = createTwilioRestClient({
        accountSid: ACCOUNT,
        authToken: 'another-token',
        baseUrl: other.baseUrl,
      });
      const created = await client.createCall({
        to: '+15551230001',
        from: '+15559870002',
        twiml: connectStreamTwiml({ streamUrl: `${PUBLIC_WSS}/twilio/media`, parameters: {} }),
      });
      const call = await other.waitForCallStatus(created.sid, 'completed', 3000);
      expect(call.errors[0]).toMatch(/^31920 .*403/);
      expect(server.media).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});

describe('signedWebhook and the TwiML reader', () => {
  it('posts a form signed over the public URL while sending it locally', async () => {
    const response = await signedWebhook(
      `${PUBLIC_HTTPS}/twilio/status`,
      { CallSid: CALL, CallStatus: 'completed', StatusCallbackEvent: ['ringing', 'answered'] },
      TOKEN,
      { postTo: `http://127.0.0.1:${server.port}/twilio/status` },
    );
    expect(response.status).toBe(204);
    expect(server.webhooks[0]).toMatchObject({
      valid: true,
      params: { StatusCallbackEvent: ['ringing', 'answered'] },
    });
    const forged = await signedWebhook(`${PUBLIC_HTTPS}/twilio/status`, { CallSid: CALL }, TOKEN, {
      postTo: `http://127.0.0.1:${server.port}/twilio/status`,
      signature: null,
    });
    expect(forged.status).toBe(403);
  });

  it('reads our TwiML and refuses malformed XML', () => {
    const root = parseXml(
      connectStreamTwiml({ streamUrl: 'wss://a.example/m', parameters: { q: `a&b<"'>` } }),
    );
    expect(root.name).toBe('Response');
    const parameter = JSON.stringify(root);
    expect(parameter).toContain(`"value":"a&b<\\"'>"`);
    for (const bad of [
      '<Response><Say>A & B</Say></Response>',
      '<Response><Say a="<">x</Say></Response>',
      '<Response><Say>x</Dial></Response>',
      '<Response><Say a="1" a="2"/></Response>',
      '<Response><Say>&nbsp;</Say></Response>',
      '<Response/><Response/>',
      '<Response>',
    ]) {
      expect(() => parseXml(bad)).toThrow(XmlSyntaxError);
    }
  });
});
