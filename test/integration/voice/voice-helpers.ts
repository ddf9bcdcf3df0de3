import { expect } from 'vitest';
import type { AppTarget } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner } from '../../support/client.ts';

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
