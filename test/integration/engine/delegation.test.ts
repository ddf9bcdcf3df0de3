import { createApprovalService } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { engineTenant } from './engine-harness.ts';

const parentFlow = (childId: string, input: Record<string, string> = { name: '"Ada"' }) => ({
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'message', text: 'Asking my colleague.', next: 'ask' },
    { id: 'ask', type: 'delegate', agentId: childId, input, saveAs: 'answer', next: 'said', onError: 'oops' },
    { id: 'said', type: 'message', text: 'Child said: {{vars.answer}}', next: 'bye' },
    { id: 'oops', type: 'message', text: 'A saw an error: {{result.error.message}}', next: 'bye' },
    { id: 'bye', type: 'end' },
  ],
});

describe.each<DatabaseKind>(['postgres', 'pglite'])('multi-agent delegation on %s', (kind) => {
  let target: AppTarget;
  let t: Awaited<ReturnType<typeof engineTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    t = await engineTenant(target, 'delegation');
  });
  afterAll(() => target?.close());

  it('runs the child with the input, hands its result back, and attributes cost and trace to both agents', async () => {
    const child = await t.agentWithFlow('Child', {
      start: 'think',
      nodes: [
        {
          id: 'think',
          type: 'llm',
          instructions: 'Think about {{vars.input.name}}.',
          say: false,
          saveAs: 'thought',
          next: 'done',
        },
        { id: 'done', type: 'end', result: '"hello " + vars.input.name' },
      ],
    });
    const parent = await t.agentWithFlow('Parent', parentFlow(child.id));
    const result = await t.engine([]).start(t.context, { agentId: parent.id, channel: 'chat' });
    expect(result.messages.map((message) => message.content)).toEqual([
      'Asking my colleague.',
      'Child said: hello Ada',
    ]);
    expect(result.conversation).toMatchObject({ status: 'ended', outcome: 'resolved' });

    const [childRow] = await target.owner<{
      id: string;
      status: string;
      agent_id: string;
      state: { vars: { input: unknown } };
    }>('select id, status, agent_id, state from conversations where parent_conversation_id = $1', [
      result.conversation.id,
    ]);
    expect(childRow).toMatchObject({
      status: 'ended',
      agent_id: child.id,
      state: { vars: { input: { name: 'Ada' } } },
    });
    const calls = await target.owner<{ agent_id: string; conversation_id: string }>(
      'select agent_id, conversation_id from model_calls where conversation_id = $1',
      [childRow?.id],
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.agent_id === child.id)).toBe(true);
    const [end] = await target.owner<{
      data: { parentAgentId: string; childAgentId: string; usage: { modelCalls: number } };
    }>("select data from conversation_events where conversation_id = $1 and type = 'delegation-end'", [
      result.conversation.id,
    ]);
    expect(end?.data).toMatchObject({
      parentAgentId: parent.id,
      childAgentId: child.id,
      usage: { modelCalls: calls.length },
    });
    const [llm] = await target.owner<{ agent_id: string; data: { parentAgentId: string } }>(
      "select agent_id, data from conversation_events where conversation_id = $1 and type = 'llm-call'",
      [childRow?.id],
    );
    expect(llm).toMatchObject({ agent_id: child.id, data: { parentAgentId: parent.id } });
  });

  it('detects a delegation loop: the agent already on the stack is refused (error branch)', async () => {
    const a = await t.agents.create(t.context, { name: 'Loop A', status: 'active' });
    const b = await t.agents.create(t.context, { name: 'Loop B', status: 'active' });
    await t.setFlow(a.id, parentFlow(b.id));
    await t.setFlow(b.id, {
      start: 'back',
      nodes: [
        { id: 'back', type: 'delegate', agentId: a.id, saveAs: 'x', next: 'done', onError: 'refused' },
        { id: 'refused', type: 'end', result: '"loop refused"' },
        { id: 'done', type: 'end', result: '"no loop?"' },
      ],
    });
    const result = await t.engine([]).start(t.context, { agentId: a.id, channel: 'chat' });
    expect(result.messages.map((message) => message.content)).toEqual([
      'Asking my colleague.',
      'Child said: loop refused',
    ]);
    const refusals = await target.owner<{ data: { status: string; error: string } }>(
      "select e.data from conversation_events e join conversations c on c.id = e.conversation_id where c.parent_conversation_id = $1 and e.type = 'delegation-end'",
      [result.conversation.id],
    );
    expect(refusals[0]?.data).toMatchObject({ status: 'refused', error: expect.stringContaining('loop') });

    // Without an error branch in B, B fails and A takes its own error branch.
    await t.setFlow(b.id, {
      start: 'back',
      nodes: [
        { id: 'back', type: 'delegate', agentId: a.id, saveAs: 'x', next: 'done' },
        { id: 'done', type: 'end' },
      ],
    });
    const failed = await t.engine([]).start(t.context, { agentId: a.id, channel: 'chat' });
    expect(failed.messages.map((message) => message.content)).toEqual([
      'Asking my colleague.',
      `A saw an error: Delegation loop: agent ${a.id} is already on the stack`,
    ]);
    expect(failed.conversation.status).toBe('ended');
  });

  it('waits for a child that asks the user and for its approval, then hands back through the root', async () => {
    const child = await t.agentWithFlow('Approver child', {
      start: 'amount',
      nodes: [
        {
          id: 'amount',
          type: 'collect',
          slot: 'amount',
          valueType: 'number',
          prompt: 'How much?',
          next: 'gate',
          onFail: 'no',
        },
        {
          id: 'gate',
          type: 'approval',
          action: 'payout.issue',
          data: { amount: 'slots.amount' },
          saveAs: 'payout',
          message: 'Waiting for approval.',
          next: 'yes',
          onReject: 'no',
          onExpire: 'no',
        },
        { id: 'yes', type: 'end', result: '"paid " + vars.payout.amount' },
        { id: 'no', type: 'end', result: '"not paid"' },
      ],
    });
    const parent = await t.agentWithFlow('Waiting parent', parentFlow(child.id, {}));
    const engine = t.engine([]);
    const opening = await engine.start(t.context, { agentId: parent.id, channel: 'chat' });
    expect(opening.status === 'suspended' && opening.reason).toBe('awaiting_delegate');
    expect(opening.messages.map((message) => message.content)).toEqual(['Asking my colleague.', 'How much?']);
    const id = opening.conversation.id;

    const asked = await engine.send(t.context, id, { text: '42' });
    expect(asked.messages.map((message) => message.content)).toEqual(['Waiting for approval.']);
    expect(asked.status === 'suspended' && asked.reason).toBe('awaiting_approval');
    await expect(engine.send(t.context, id, { text: 'hurry' })).rejects.toMatchObject({ code: 'conflict' });

    const approvals = createApprovalService({ db: target.db, engine });
    const pending = await approvals.list(t.context, { limit: 10, status: 'pending' });
    const approval = pending.data.find((row) => row.action === 'payout.issue');
    expect(approval?.data).toEqual({ amount: 42 });
    const decided = await approvals.approve(t.context, approval?.id ?? '', { data: { amount: 40 } });
    expect(decided.messages.map((message) => message.content)).toEqual(['Child said: paid 40']);
    expect(decided.conversation).toMatchObject({ id, status: 'ended' });
  });
});
