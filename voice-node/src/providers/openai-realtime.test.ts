import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { frames, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import {
  type RealtimeServer,
  type RealtimeServerOptions,
  startRealtimeServer,
} from '../../../test/support/voice-servers/openai-realtime-server.ts';
import {
  connectRealtime,
  type RealtimeAudioDelta,
  type RealtimeConnectOptions,
  type RealtimeErrorInfo,
  type RealtimeSession,
  type RealtimeTranscript,
} from './openai-realtime.ts';

const servers: RealtimeServer[] = [];
const sessions: RealtimeSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(
  serverOptions: RealtimeServerOptions = {},
  clientOptions: Partial<RealtimeConnectOptions> = {},
) {
  const server = await startRealtimeServer({ apiKey: 'sk-rt', ...serverOptions });
  servers.push(server);
  const session = await connectRealtime({
    apiKey: 'sk-rt',
    baseURL: server.url,
    instructions: 'You are the LuMay demo agent.',
    ...clientOptions,
  });
  sessions.push(session);
  const seen = {
    deltas: [] as RealtimeAudioDelta[],
    transcripts: [] as RealtimeTranscript[],
    errors: [] as RealtimeErrorInfo[],
    started: [] as Array<{ audioStartMs: number; itemId: string }>,
    stopped: [] as Array<{ audioEndMs: number; itemId: string }>,
    done: [] as Array<{ responseId: string; status: string }>,
    types: [] as string[],
  };
  session.onAudioDelta = (event) => seen.deltas.push(event);
  session.onTranscript = (event) => seen.transcripts.push(event);
  session.onError = (event) => seen.errors.push(event);
  session.onSpeechStarted = (event) => seen.started.push(event);
  session.onSpeechStopped = (event) => seen.stopped.push(event);
  session.onResponseDone = (event) => seen.done.push(event);
  session.onEvent = (event) => seen.types.push(event.type);
  return { server, session, seen };
}

/** Streams audio in 20 ms frames, as a Twilio bridge would. */
function stream(session: RealtimeSession, audio: Uint8Array) {
  for (const frame of frames(audio)) session.appendAudio(Buffer.from(frame).toString('base64'));
}

const silence = (ms: number) => new Uint8Array(ms * 8).fill(0xff);

describe('OpenAI Realtime client', () => {
  it('configures a GA session with μ-law both ways and server VAD', async () => {
    const { server } = await setup({}, { voice: 'marin', model: 'gpt-realtime-mini' });
    const [connection] = server.connections;
    expect(connection?.query.get('model')).toBe('gpt-realtime-mini');
    expect(connection?.clientEvents[0]).toEqual({
      type: 'session.update',
      session: {
        type: 'realtime',
        model: 'gpt-realtime-mini',
        output_modalities: ['audio'],
        instructions: 'You are the LuMay demo agent.',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-mini-transcribe' },
            turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true },
          },
          output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
        },
        tools: [],
      },
    });
    expect(connection?.session).toMatchObject({
      audio: { output: { voice: 'marin', format: { type: 'audio/pcmu' } } },
    });
  });

  it('hears the caller (speech started/stopped), transcribes them and streams the spoken answer', async () => {
    const reply = 'Your order ships today.';
    const { session, seen } = await setup({ userTranscripts: ['where is my order'], replies: [reply] });
    stream(session, silence(400));
    stream(session, voicedMulaw(800));
    stream(session, silence(700));
    await expect.poll(() => seen.done.length).toBe(1);
    expect(seen.started).toHaveLength(1);
    expect(seen.started[0]?.audioStartMs).toBe(100); // speech at 400 ms, minus 300 ms of prefix padding
    expect(seen.stopped[0]?.itemId).toBe(seen.started[0]?.itemId);
    expect(seen.transcripts).toEqual([
      { role: 'user', text: 'where is my order', itemId: seen.started[0]?.itemId },
      { role: 'assistant', text: reply, itemId: seen.deltas[0]?.itemId },
    ]);
    expect(seen.done[0]).toEqual({ responseId: seen.deltas[0]?.responseId, status: 'completed' });
    const sizes = seen.deltas.map((delta) => Buffer.from(delta.delta, 'base64').length);
    expect(sizes.every((size) => size >= 160 && size <= 320)).toBe(true); // 20–40 ms of μ-law each
    expect(sizes.reduce((total, size) => total + size, 0)).toBe(reply.length * 60 * 8);
  });

  it('say() makes the agent speak first', async () => {
    const { server, session, seen } = await setup({ replies: ['Hello, thanks for calling!'] });
    session.say('Greet the caller.');
    await expect.poll(() => seen.done.length).toBe(1);
    expect(server.connections[0]?.clientEvents.slice(1)).toEqual([
      {
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Greet the caller.' }] },
      },
      { type: 'response.create' },
    ]);
    expect(seen.transcripts).toEqual([
      expect.objectContaining({ role: 'assistant', text: 'Hello, thanks for calling!' }),
    ]);
    expect(seen.errors).toEqual([]);
  });

  it('truncates an answer at what was heard, and the server refuses a point past its audio', async () => {
    const { session, seen } = await setup({ replies: ['One two three four five.'] });
    session.say('Count.');
    await expect.poll(() => seen.done.length).toBe(1);
    const itemId = seen.deltas[0]?.itemId ?? '';
    session.truncate(itemId, 60_000);
    await expect.poll(() => seen.errors.length).toBe(1);
    expect(seen.errors[0]).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_value',
      message: 'Audio content of 1440ms is already shorter than 60000ms',
      param: 'audio_end_ms',
    });
    session.truncate(itemId, 640.7);
    await expect.poll(() => seen.types.includes('conversation.item.truncated')).toBe(true);
    expect(seen.errors).toHaveLength(1);
  });

  it('barge-in: caller speech interrupts the answer; cancelResponse stops one; a needless cancel is an error', async () => {
    const { session, seen } = await setup({
      replies: ['This is a long answer that the caller will not let me finish, sadly.'],
      deltaIntervalMs: 40,
    });
    session.say('Talk.');
    await expect.poll(() => seen.deltas.length).toBeGreaterThan(2);
    stream(session, voicedMulaw(200));
    await expect.poll(() => seen.done.length).toBe(1);
    expect(seen.done[0]?.status).toBe('cancelled');
    expect(seen.started).toHaveLength(1);

    stream(session, silence(600)); // the caller's turn ends: a new answer starts
    await expect
      .poll(() => seen.deltas.some((delta) => delta.responseId !== seen.done[0]?.responseId))
      .toBe(true);
    session.cancelResponse();
    await expect.poll(() => seen.done.length).toBe(2);
    expect(seen.done[1]?.status).toBe('cancelled');
    session.cancelResponse();
    await expect.poll(() => seen.errors.length).toBe(1);
    expect(seen.errors[0]).toMatchObject({ code: 'response_cancel_not_active' });
  });

  it('ignores malformed server events', async () => {
    const { session, seen } = await setup({ sendMalformed: true, replies: ['Still fine.'] });
    session.say('Hi.');
    await expect.poll(() => seen.done.length).toBe(1);
    expect(seen.started).toEqual([]);
  });

  it('fails to connect with the right codes: bad key, rejected session, unreachable, no answer', async () => {
    const server = await startRealtimeServer({ apiKey: 'sk-rt' });
    servers.push(server);
    const base = { baseURL: server.url, instructions: 'x' };
    await expect(connectRealtime({ ...base, apiKey: 'sk-wrong' })).rejects.toMatchObject({
      code: 'provider_auth',
      message: 'OpenAI Realtime refused the API key (401): Incorrect API key provided.',
    });
    await expect(connectRealtime({ ...base, apiKey: 'sk-rt', voice: 'robot' })).rejects.toMatchObject({
      code: 'provider_failed',
      message: /rejected the session: Invalid value: 'robot'/,
    });
    await expect(
      connectRealtime({ apiKey: 'sk-rt', baseURL: 'ws://127.0.0.1:1', instructions: 'x' }),
    ).rejects.toMatchObject({ code: 'provider_unavailable' });

    const mute = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => mute.once('listening', resolve));
    const address = mute.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await expect(
      connectRealtime({
        apiKey: 'k',
        baseURL: `ws://127.0.0.1:${port}`,
        instructions: 'x',
        connectTimeoutMs: 200,
      }),
    ).rejects.toMatchObject({ code: 'provider_timeout' });
    await new Promise((resolve) => mute.close(resolve));
  });

  it('close() ends the session; sending afterwards does nothing', async () => {
    const { server, session } = await setup();
    const closed = new Promise<{ code: number }>((resolve) => {
      session.onClose = resolve;
    });
    session.close();
    expect((await closed).code).toBe(1000);
    expect(session.closed).toBe(true);
    expect(() => session.appendAudio('AAAA')).not.toThrow();
    expect(server.connections[0]?.clientEvents).toHaveLength(1);
  });
});

describe('local Realtime server (GA conformance)', () => {
  it('refuses beta session fields and a session without its type, as the GA API does', async () => {
    const server = await startRealtimeServer();
    servers.push(server);
    const socket = new WebSocket(`${server.url}/v1/realtime?model=gpt-realtime`);
    const events: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => events.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({
        type: 'session.update',
        event_id: 'evt_1',
        session: { type: 'realtime', input_audio_format: 'g711_ulaw' },
      }),
    );
    socket.send(JSON.stringify({ type: 'session.update', session: { modalities: ['audio', 'text'] } }));
    socket.send(JSON.stringify({ type: 'session.update', session: { instructions: 'no type' } }));
    await expect.poll(() => events.filter((event) => event.type === 'error').length).toBe(3);
    const errors = events.filter((event) => event.type === 'error').map((event) => event.error);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'unknown_parameter',
        message: "Unknown parameter: 'session.input_audio_format'.",
        event_id: 'evt_1',
      }),
      expect.objectContaining({ code: 'unknown_parameter', param: 'session.modalities' }),
      expect.objectContaining({ code: 'missing_required_parameter', param: 'session.type' }),
    ]);
    expect(events[0]?.type).toBe('session.created');
    expect(events.some((event) => event.type === 'session.updated')).toBe(false);
    socket.close();
  });
});
