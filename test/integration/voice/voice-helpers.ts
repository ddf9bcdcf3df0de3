import type { VoiceConfig } from '@lumay/voice-node';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { type AppTarget, createAppTarget } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner } from '../../support/client.ts';
import {
  type FakeTwilio,
  type FakeTwilioOptions,
  startFakeTwilio,
} from '../../support/twilio/fake-twilio.ts';
import type { MediaStreamCaller } from '../../support/twilio/simulated-caller.ts';
import { PUBLIC_BASE_URL, startVoiceTarget, type VoiceTarget } from '../../support/voice-target.ts';

export interface VoiceAgent {
  agentId: string;
  number: string;
}

let numberCounter = 0;

/**
 * Creates an agent with a short flow (greeting, a long interruptible statement, a legal notice that
 * must not be interrupted, a menu) and a phone number routed to it, through the management API.
 */
export async function createVoiceAgent(
  api: Client,
  token: string,
  options: { flow?: Record<string, unknown>; voice?: Record<string, unknown>; mode?: string } = {},
): Promise<VoiceAgent> {
  const agent = await api.post(
    '/v1/agents',
    {
      name: `voice-agent-${Date.now()}-${numberCounter}`,
      config: {
        llm: { provider: 'offline' },
        voice: {
          hints: ['yes', 'no', 'tell me more', 'talk to a human', 'stop'],
          endOfTurnSilenceMs: 500,
          transfer: { default: '+15550100999' },
          ...options.voice,
        },
      },
    },
    { token },
  );
  expect(agent.status, agent.text).toBe(201);
  const agentId = agent.body.id as string;
  const flow = await api.post(
    '/v1/flows',
    { name: `voice-flow-${agentId}`, agentId, definition: options.flow ?? shortFlow() },
    { token },
  );
  expect(flow.status, flow.text).toBe(201);
  const published = await api.post(`/v1/flows/${flow.body.id}/publish`, {}, { token });
  expect(published.status, published.text).toBeLessThan(300);
  const patched = await api.patch(
    `/v1/agents/${agentId}`,
    { config: { ...agent.body.config, flow: { flowId: flow.body.id } } },
    { token },
  );
  expect(patched.status, patched.text).toBe(200);
  numberCounter += 1;
  const number = `+1555020${String(1000 + numberCounter).slice(-4)}`;
  const phone = await api.post(
    '/v1/phone-numbers',
    { number, agentId, mode: options.mode ?? 'media_stream' },
    { token },
  );
  expect(phone.status, phone.text).toBe(201);
  return { agentId, number };
}

export const LONG_STATEMENT =
  'Thanks for calling. Our store is open from nine in the morning until nine at night, every day of the week. ' +
  'We carry shoes, jackets, and accessories for every season. Deliveries usually arrive within three business days. ' +
  'Returns are free within thirty days of purchase.';

/** greet → statement (long) → menu (collect yes/no) → end or handoff. */
export function shortFlow(): Record<string, unknown> {
  return {
    start: 'greet',
    nodes: [
      { id: 'greet', type: 'message', text: 'Hello.', next: 'statement' },
      { id: 'statement', type: 'message', text: LONG_STATEMENT, next: 'menu' },
      {
        id: 'menu',
        type: 'collect',
        slot: 'answer',
        prompt: 'Shall I connect you with a person? Say yes or no.',
        valueType: 'enum',
        options: ['yes', 'no'],
        retryPrompt: 'Please say yes or no.',
        maxAttempts: 3,
        next: 'decide',
        onFail: 'bye',
      },
      {
        id: 'decide',
        type: 'condition',
        branches: [{ when: "slots.answer == 'yes'", next: 'human' }],
        else: 'bye',
      },
      {
        id: 'human',
        type: 'handoff',
        reason: 'Caller asked for a person',
        summary: 'Caller said {{input.text}}',
        message: 'Connecting you.',
      },
      { id: 'bye', type: 'end', message: 'Goodbye.' },
    ],
  };
}

export async function demoOwner(app: AppTarget): Promise<{ api: Client; token: string }> {
  const api = client(app);
  const token = await loginDemoOwner(api);
  return { api, token };
}

/** greet → menu (collect yes/no) → end or handoff: the short flow without its long statement. */
export function menuFlow(greeting = 'Hello.'): Record<string, unknown> {
  const nodes = (shortFlow().nodes as { id: string }[]).filter((node) => node.id !== 'statement');
  return {
    start: 'greet',
    nodes: nodes.map((node) => (node.id === 'greet' ? { ...node, text: greeting, next: 'menu' } : node)),
  };
}

/** A voice node, a fake Twilio and the platform on a fresh Postgres database, shared by one test file. */
export interface VoiceFixture {
  app: AppTarget;
  voice: VoiceTarget;
  twilio: FakeTwilio;
  api: Client;
  token: string;
  /** Places an inbound call through the fake Twilio; resolves with its connected media caller. */
  call(to: string): Promise<{ caller: MediaStreamCaller; sid: string }>;
  /** The call record (with turns) of a Twilio CallSid, through the management API. */
  record(sid: string): Promise<CallDetailsBody>;
  /** A conversation with its transcript, through the management API. */
  conversation(id: string): Promise<ConversationBody>;
  /** A sample of the voice node's `/metrics` (0 when absent). */
  metric(name: string): Promise<number>;
  close(): Promise<void>;
}

export interface CallTurnBody {
  index: number;
  callerText: string | null;
  assistantText: string | null;
  heardText: string | null;
  interrupted: boolean;
  bargeInReactionMs: number | null;
  latencyMs: Record<string, number | null>;
}

export interface CallDetailsBody {
  id: string;
  agentId: string;
  conversationId: string | null;
  direction: string;
  from: string;
  to: string;
  twilioCallSid: string | null;
  status: string;
  answeredBy: string | null;
  durationSeconds: number | null;
  endReason: string | null;
  transferTo: string | null;
  summary: string | null;
  updatedAt: string;
  turns: CallTurnBody[];
}

export interface MessageBody {
  id: string;
  role: string;
  content: string;
  nodeId: string | null;
  metadata: Record<string, unknown>;
}

export interface ConversationBody {
  id: string;
  status: string;
  outcome: string | null;
  endedAt: string | null;
  messages: MessageBody[];
}

export async function startVoiceFixture(
  options: { twilio?: FakeTwilioOptions; voice?: Partial<VoiceConfig> } = {},
): Promise<VoiceFixture> {
  const app = await createAppTarget('postgres');
  let port = 0;
  const twilio = await startFakeTwilio({
    resolveStreamUrl: (url) => url.replace(/^wss:\/\/[^/]+/, `ws://127.0.0.1:${port}`),
    resolveWebhookUrl: (url) => url.replace(PUBLIC_BASE_URL, `http://127.0.0.1:${port}`),
    ...options.twilio,
  });
  const voice = await startVoiceTarget(app, {
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_BASE_URL: twilio.baseUrl,
    ...options.voice,
  });
  port = voice.port;
  const { api, token } = await demoOwner(app);

  async function record(sid: string): Promise<CallDetailsBody> {
    const list = await api.get('/v1/calls?limit=100', { token });
    expect(list.status, list.text).toBe(200);
    const found = (list.body.data as { id: string; twilioCallSid: string | null }[]).find(
      (entry) => entry.twilioCallSid === sid,
    );
    expect(found, `no call record for ${sid}`).toBeDefined();
    const detail = await api.get(`/v1/calls/${found?.id}`, { token });
    expect(detail.status, detail.text).toBe(200);
    return detail.body as CallDetailsBody;
  }

  return {
    app,
    voice,
    twilio,
    api,
    token,
    async call(to) {
      const placed = await twilio.inboundCall({
        voiceUrl: `${PUBLIC_BASE_URL}/twilio/voice`,
        from: '+15555550123',
        to,
      });
      const caller = await twilio.waitForMediaCaller(placed.sid, 10_000);
      return { caller, sid: placed.sid };
    },
    record,
    async conversation(id) {
      const response = await api.get(`/v1/conversations/${id}`, { token });
      expect(response.status, response.text).toBe(200);
      return response.body as ConversationBody;
    },
    metric: (name) => metricValue(voice, name),
    async close() {
      await voice.close();
      await twilio.close();
      await app.close();
    },
  };
}

/** One sample of the voice node's Prometheus exposition (`name` may carry labels); 0 when absent. */
export async function metricValue(voice: VoiceTarget, name: string): Promise<number> {
  const response = await fetch(`${voice.httpUrl}/metrics`);
  const text = await response.text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** Retries an assertion block until it passes (call records are written as the call goes). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
}

/**
 * The WebSocket under a simulated caller, for frames its API cannot send (binary frames). The
 * caller keeps it in a private field; reading it keeps the shared Twilio simulator unchanged.
 */
export function socketOf(caller: MediaStreamCaller): WebSocket {
  const socket: unknown = Reflect.get(caller, 'socket');
  if (!(socket instanceof WebSocket)) throw new Error('the simulated caller has no WebSocket');
  return socket;
}

/** Duration of μ-law 8 kHz audio in ms. */
export const audioMs = (audio: Uint8Array): number => audio.length / 8;

/** Waits until the agent has spoken and then gone quiet: all its audio played, nothing sent for a while. */
export async function agentFinished(caller: MediaStreamCaller, timeoutMs = 60_000): Promise<void> {
  await caller.waitFor(() => caller.receivedAudio().length > 0, timeoutMs, 'agent audio');
  await caller.waitForSilence(800, timeoutMs);
}
