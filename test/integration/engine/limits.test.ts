import { defineTool, FAILURE_MESSAGE, ToolFailure } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { answeringTool, engineTenant } from './engine-harness.ts';

const loopingFlow = {
  start: 'count',
  variables: { n: 0 },
  settings: { maxStepsPerTurn: 10, turnTimeoutMs: 5000 },
  nodes: [
    { id: 'count', type: 'set', assign: { n: 'vars.n + 1' }, next: 'check' },
    { id: 'check', type: 'condition', branches: [{ when: 'vars.n > 100000', next: 'bye' }], else: 'count' },
    { id: 'bye', type: 'end' },
  ],
};

const toolFlow = (tool: string, timeoutMs = 5000) => ({
  start: 'call',
  settings: { maxStepsPerTurn: 10, turnTimeoutMs: timeoutMs },
  nodes: [
    { id: 'call', type: 'tool', tool, next: 'bye' },
    { id: 'bye', type: 'end', message: 'never said' },
  ],
});

const failing = defineTool({
  name: 'test.fail',
  description: 'always fails',
  input: z.object({}),
  run: () => {
    throw new ToolFailure('unavailable', 'the backend is down');
  },
});

describe.each<DatabaseKind>(['postgres', 'pglite'])('turn limits and failures on %s', (kind) => {
  let target: AppTarget;
  let t: Awaited<ReturnType<typeof engineTenant>>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    t = await engineTenant(target, 'limits');
  });
  afterAll(() => target?.close());

  async function expectFailedConsistently(id: string, code: string) {
    const [row] = await target.owner<{
      status: string;
      outcome: string;
      state: { cursor: null; turn: null; vars: { n?: number } };
    }>('select status, outcome, state from conversations where id = $1', [id]);
    expect(row).toMatchObject({ status: 'failed', outcome: 'failed', state: { cursor: null, turn: null } });
    const [ended] = await target.owner<{ payload: { outcome: string } }>(
      "select payload from outbox where topic = 'conversation.ended' and payload->>'conversationId' = $1",
      [id],
    );
    expect(ended?.payload.outcome).toBe('failed');
    const [turnEnd] = await target.owner<{ data: { status: string; error: { code: string } } }>(
      "select data from conversation_events where conversation_id = $1 and type = 'turn-end'",
      [id],
    );
    expect(turnEnd?.data).toMatchObject({ status: 'failed', error: { code } });
    return row;
  }

  it('stops a looping flow at the step limit with a defined failure, keeping the last persisted state', async () => {
    const agent = await t.agentWithFlow('Loop', loopingFlow);
    const engine = t.engine([]);
    const result = await engine.start(t.context, { agentId: agent.id, channel: 'chat' });
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toBe('step_limit');
    expect(result.messages.map((message) => message.content)).toEqual([FAILURE_MESSAGE]);
    const row = await expectFailedConsistently(result.conversation.id, 'step_limit');
    // 10 steps: five assignments, five conditions; every one of them was persisted.
    expect(row?.state.vars.n).toBe(5);
    const [steps] = await target.owner<{ count: string }>(
      "select count(*) from conversation_events where conversation_id = $1 and type = 'step-end'",
      [result.conversation.id],
    );
    expect(Number(steps?.count)).toBe(10);
    await expect(engine.send(t.context, result.conversation.id, { text: 'hello?' })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('fails a turn that outlives its timeout', async () => {
    const agent = await t.agentWithFlow('Slow', toolFlow('test.slow', 200));
    const startedAt = Date.now();
    const result = await t
      .engine([answeringTool('test.slow', 'late', 2000)])
      .start(t.context, { agentId: agent.id, channel: 'chat' });
    expect(Date.now() - startedAt).toBeLessThan(1500);
    expect(result.status === 'failed' && result.error.code).toBe('turn_timeout');
    await expectFailedConsistently(result.conversation.id, 'turn_timeout');
  });

  it('fails on a tool error without an error branch, and on a runtime expression error', async () => {
    const toolAgent = await t.agentWithFlow('Failing tool', toolFlow('test.fail'));
    const toolResult = await t.engine([failing]).start(t.context, { agentId: toolAgent.id, channel: 'chat' });
    expect(toolResult.status === 'failed' && toolResult.error).toMatchObject({
      code: 'tool_error',
      message: expect.stringContaining('unavailable'),
    });
    await expectFailedConsistently(toolResult.conversation.id, 'tool_error');

    const expressionAgent = await t.agentWithFlow('Bad pattern', {
      start: 'pattern',
      nodes: [
        { id: 'pattern', type: 'set', assign: { p: '"(a+)+$"' }, next: 'check' },
        {
          id: 'check',
          type: 'condition',
          branches: [{ when: 'matches("aaa", vars.p)', next: 'bye' }],
          else: 'bye',
        },
        { id: 'bye', type: 'end' },
      ],
    });
    const expression = await t.engine([]).start(t.context, { agentId: expressionAgent.id, channel: 'chat' });
    expect(expression.status === 'failed' && expression.error.code).toBe('expression_error');
  });

  it('routes DTMF digits by position and collects digits as values', async () => {
    const agent = await t.agentWithFlow('IVR', {
      start: 'menu',
      nodes: [
        { id: 'menu', type: 'message', text: 'Press 1 for sales, 2 for support.', next: 'route' },
        {
          id: 'route',
          type: 'intent_router',
          routes: [
            { intent: 'sales', next: 'bye' },
            { intent: 'support', next: 'pin' },
          ],
          fallback: 'bye',
        },
        {
          id: 'pin',
          type: 'collect',
          slot: 'pin',
          valueType: 'integer',
          prompt: 'Your PIN?',
          next: 'ok',
          onFail: 'bye',
        },
        { id: 'ok', type: 'message', text: 'PIN {{slots.pin}} accepted.', next: 'bye' },
        { id: 'bye', type: 'end', message: 'Bye.' },
      ],
    });
    const engine = t.engine([]);
    const opening = await engine.start(t.context, { agentId: agent.id, channel: 'voice' });
    const menu = await engine.send(t.context, opening.conversation.id, { digits: '2' });
    expect(menu.messages.map((message) => message.content)).toEqual(['Your PIN?']);
    const pin = await engine.send(t.context, opening.conversation.id, { digits: '4711' });
    expect(pin.messages.map((message) => message.content)).toEqual(['PIN 4711 accepted.', 'Bye.']);
    expect(pin.conversation).toMatchObject({ status: 'ended', outcome: 'resolved', channel: 'voice' });
  });
});
