import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { engineTenant } from './engine-harness.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('llm nodes on %s', (kind) => {
  let target: AppTarget;
  let t: Awaited<ReturnType<typeof engineTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    t = await engineTenant(target, 'llm');
  });
  afterAll(() => target?.close());

  const post = (path: string, body: unknown) => t.api.post(path, body, { token: t.token });

  it('grounds the answer in the knowledge base and carries the citations into the message', async () => {
    const kb = await post('/v1/knowledge-bases', { name: 'Help centre' });
    expect(kb.status, kb.text).toBe(201);
    const document = await post(`/v1/knowledge-bases/${kb.body.id}/documents`, {
      type: 'text',
      title: 'Returns policy',
      content:
        'Returns are accepted within 30 days of delivery. Refunds are issued to the original payment method within five days of the return arriving.',
    });
    expect([200, 201], document.text).toContain(document.status);
    const agent = await t.agentWithFlow('Grounded', {
      start: 'ask',
      nodes: [
        {
          id: 'ask',
          type: 'collect',
          slot: 'q',
          valueType: 'string',
          prompt: 'Question?',
          next: 'answer',
          onFail: 'bye',
        },
        {
          id: 'answer',
          type: 'llm',
          instructions: 'Answer from the passages.',
          knowledgeBaseIds: [kb.body.id],
          next: 'ask',
        },
        { id: 'bye', type: 'end' },
      ],
    });
    const started = await post('/v1/conversations', { agentId: agent.id });
    const reply = await post(`/v1/conversations/${started.body.conversation.id}/messages`, {
      text: 'How long do refunds take?',
    });
    expect(reply.status, reply.text).toBe(200);
    const [answer] = reply.body.messages;
    expect(answer.content).toContain('within five days');
    expect(answer.content).toContain('[1]');
    expect(answer.metadata.citations).toEqual([
      expect.objectContaining({ marker: '[1]', documentId: document.body.id, title: 'Returns policy' }),
    ]);
  });

  it('offers tools by name and runs the calls through the registry, with a tool-call event', async () => {
    const agent = await t.agentWithFlow('Tool user', {
      start: 'ask',
      nodes: [
        {
          id: 'ask',
          type: 'collect',
          slot: 'q',
          valueType: 'string',
          prompt: 'Question?',
          next: 'answer',
          onFail: 'bye',
        },
        {
          id: 'answer',
          type: 'llm',
          instructions: 'Use the tools.',
          tools: ['orders.lookup'],
          saveAs: 'said',
          next: 'ask',
        },
        { id: 'bye', type: 'end' },
      ],
    });
    const started = await post('/v1/conversations', { agentId: agent.id });
    const id = started.body.conversation.id;
    const reply = await post(`/v1/conversations/${id}/messages`, {
      text: 'Please look up the status of order 10423',
    });
    expect(reply.status, reply.text).toBe(200);
    const [call] = await target.owner<{
      data: { tool: string; source: string; ok: boolean; input: unknown; output: { status: string } };
    }>("select data from conversation_events where conversation_id = $1 and type = 'tool-call'", [id]);
    expect(call?.data).toMatchObject({
      tool: 'orders.lookup',
      source: 'llm',
      ok: true,
      output: { status: 'delivered' },
    });
    expect(reply.body.messages[0].content).toContain('delivered');
    const [state] = await target.owner<{ said: string }>(
      "select state->'vars'->>'said' as said from conversations where id = $1",
      [id],
    );
    expect(state?.said).toBe(reply.body.messages[0].content);
  });

  it('stops a streaming reply when the listener interrupts, keeps the partial text and goes on', async () => {
    const agent = await t.agentWithFlow('Interruptible', {
      start: 'talk',
      nodes: [
        {
          id: 'talk',
          type: 'llm',
          instructions:
            'Explain at length how returns, refunds, exchanges, deliveries and store pickups work, step by step.',
          next: 'ask',
        },
        {
          id: 'ask',
          type: 'collect',
          slot: 'q',
          valueType: 'string',
          prompt: 'Anything else?',
          next: 'bye',
          onFail: 'bye',
        },
        { id: 'bye', type: 'end' },
      ],
    });
    const interrupt = new AbortController();
    const deltas: string[] = [];
    const result = await t.engine([]).start(
      t.context,
      { agentId: agent.id, channel: 'voice' },
      {
        sink: {
          interrupt: interrupt.signal,
          delta: (event) => {
            deltas.push(event.delta);
            expect(event.interruptible).toBe(true);
            if (deltas.length === 2) interrupt.abort();
          },
          message: () => undefined,
          status: () => undefined,
        },
      },
    );
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    const reply = result.messages.find((message) => message.nodeId === 'talk');
    expect(reply?.metadata.interrupted).toBe(true);
    // Only what was streamed before the interruption is stored (the history the model sees next).
    expect(reply?.content).toBe(deltas.slice(0, 2).join('').trim());
    // The flow went on to the next node as usual.
    expect(result.messages.at(-1)?.content).toBe('Anything else?');
    expect(result.conversation.status).toBe('active');
  });
});
