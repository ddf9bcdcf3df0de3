import { expect } from 'vitest';
import type { Client } from '../../support/client.ts';

/**
 * greet → order number → orders.lookup → answer → asks how to reach the customer → repeats the contact
 * back (a deliberate PII echo) → end. `answer` is the text that differs between draft and version.
 */
export function echoFlow(answer = 'Order {{slots.orderNumber}} is {{vars.order.status}}.') {
  return {
    start: 'greet',
    nodes: [
      { id: 'greet', type: 'message', text: 'Hello! What is your order number?', next: 'ask_order' },
      {
        id: 'ask_order',
        type: 'collect',
        slot: 'orderNumber',
        prompt: '',
        valueType: 'regex',
        pattern: '^\\d{3,12}$',
        retryPrompt: 'Order numbers are digits only.',
        next: 'lookup',
        onFail: 'human',
      },
      {
        id: 'lookup',
        type: 'tool',
        tool: 'orders.lookup',
        input: { orderNumber: 'slots.orderNumber' },
        saveAs: 'order',
        next: 'answer',
        onError: 'human',
      },
      { id: 'answer', type: 'message', text: `${answer} How can we reach you?`, next: 'ask_contact' },
      {
        id: 'ask_contact',
        type: 'collect',
        slot: 'contact',
        prompt: '',
        valueType: 'string',
        next: 'confirm',
        onFail: 'human',
      },
      { id: 'confirm', type: 'message', text: 'Thanks, we will write to {{slots.contact}}.', next: 'done' },
      { id: 'done', type: 'end', message: 'Bye!' },
      { id: 'human', type: 'handoff', reason: 'needs a person', message: 'A colleague will take over.' },
    ],
  };
}

/** Creates an agent with the echo flow published as v1 and selected in `config.flow`. */
export async function agentWithFlow(api: Client, token: string, name: string, answer?: string) {
  const agent = await api.post('/v1/agents', { name, status: 'active' }, { token });
  expect(agent.status, agent.text).toBe(201);
  const flow = await api.post(
    '/v1/flows',
    { name: `${name} flow`, agentId: agent.body.id, definition: echoFlow(answer) },
    { token },
  );
  expect(flow.status, flow.text).toBe(201);
  const published = await api.post(`/v1/flows/${flow.body.id}/publish`, { note: 'v1' }, { token });
  expect(published.status, published.text).toBe(200);
  const selected = await api.patch(
    `/v1/agents/${agent.body.id}`,
    { config: { flow: { flowId: flow.body.id } } },
    { token },
  );
  expect(selected.status, selected.text).toBe(200);
  return { agentId: agent.body.id as string, flowId: flow.body.id as string };
}

/** Replaces a flow's draft (reading the current revision first). */
export async function saveDraft(api: Client, token: string, flowId: string, definition: unknown) {
  const current = await api.get(`/v1/flows/${flowId}`, { token });
  const saved = await api.patch(
    `/v1/flows/${flowId}`,
    { definition, draftRevision: current.body.draftRevision },
    { token },
  );
  expect(saved.status, saved.text).toBe(200);
  return saved.body;
}

/** A case that walks the echo flow and expects everything it does. */
export function walkCase(name = 'walks the flow', contact = 'by post please') {
  return {
    name,
    turns: [
      { expect: [{ type: 'node_reached', node: 'greet' }] },
      { user: '10423', expect: [{ type: 'tool_called', tool: 'orders.lookup' }] },
      { user: contact, expect: [{ type: 'status', equals: 'ended' }] },
    ],
  };
}
