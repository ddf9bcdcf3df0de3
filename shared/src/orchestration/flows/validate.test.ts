import { describe, expect, it } from 'vitest';
import type { FlowDefinitionInput } from './definition.ts';
import { type FlowFinding, type FlowValidationContext, validateFlow } from './validate.ts';

const OTHER_AGENT = 'agt_01JD4X3Y5Z6A7B8C9D0E1F2G3H';
const SELF_AGENT = 'agt_01JD4X3Y5Z6A7B8C9D0E1F2G3J';

const context: FlowValidationContext = {
  knownTools: new Set(['orders.lookup', 'crm.create_lead']),
  knownAgentIds: new Set([OTHER_AGENT, SELF_AGENT]),
  knownIntents: new Set(['order_status', 'refund']),
  agentId: SELF_AGENT,
};

/** greet → ask order → look it up → answer → end, with a handoff when collection fails. */
function orderFlow(): FlowDefinitionInput {
  return {
    start: 'greet',
    nodes: [
      { id: 'greet', type: 'message', text: 'Hello!', next: 'ask_order' },
      {
        id: 'ask_order',
        type: 'collect',
        slot: 'orderId',
        prompt: 'Your order number?',
        valueType: 'regex',
        pattern: '^\\d{3,12}$',
        next: 'lookup',
        onFail: 'human',
      },
      {
        id: 'lookup',
        type: 'tool',
        tool: 'orders.lookup',
        input: { orderNumber: 'slots.orderId' },
        saveAs: 'order',
        next: 'answer',
        onError: 'human',
      },
      {
        id: 'answer',
        type: 'message',
        text: 'Order {{slots.orderId}} is {{vars.order.status}}.',
        next: 'done',
      },
      { id: 'done', type: 'end' },
      { id: 'human', type: 'handoff', reason: 'order lookup failed' },
    ],
  };
}

type MutableNode = Record<string, unknown>;
function withNodes(mutate: (nodes: MutableNode[]) => void, base = orderFlow()): FlowDefinitionInput {
  const copy = structuredClone(base) as { nodes: MutableNode[] };
  mutate(copy.nodes);
  return copy as unknown as FlowDefinitionInput;
}

const find = (findings: readonly FlowFinding[], code: string) =>
  findings.filter((finding) => finding.code === code);

describe('validateFlow', () => {
  it('accepts a sound flow without findings', () => {
    expect(validateFlow(orderFlow(), context)).toEqual({ valid: true, findings: [] });
  });

  it('maps schema errors to the node they sit in', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        delete (nodes[2] as MutableNode).next;
        (nodes[1] as MutableNode).valueType = 'colour';
      }),
      context,
    );
    expect(result.valid).toBe(false);
    const nodeIds = result.findings.map((finding) => finding.nodeId);
    expect(nodeIds).toContain('lookup');
    expect(nodeIds).toContain('ask_order');
    expect(result.findings.every((finding) => finding.code === 'schema_invalid')).toBe(true);
    expect(result.findings.find((finding) => finding.nodeId === 'lookup')?.path).toBe('nodes[2].next');
    expect(result.findings.find((finding) => finding.nodeId === 'lookup')?.message).toMatch(/^node 'lookup'/);
  });

  it('names a node without an id by its position, and flow-level schema errors with a null node', () => {
    const result = validateFlow(
      { start: 'a', nodes: [{ type: 'end' }], settings: { maxStepsPerTurn: 0 } },
      context,
    );
    expect(result.findings.some((finding) => finding.nodeId === null && finding.path === 'nodes[0].id')).toBe(
      true,
    );
    expect(result.findings.some((finding) => finding.message.startsWith('node nodes[0]'))).toBe(true);
    expect(result.findings.some((finding) => finding.path === 'settings.maxStepsPerTurn')).toBe(true);
    expect(validateFlow('not a flow', context).findings[0]?.code).toBe('schema_invalid');
    expect(validateFlow(null, context).valid).toBe(false);
  });

  it('finds duplicate node ids', () => {
    const result = validateFlow(
      withNodes((nodes) => nodes.push({ id: 'done', type: 'end', outcome: 'abandoned' })),
      context,
    );
    expect(find(result.findings, 'duplicate_node_id')).toEqual([
      expect.objectContaining({ severity: 'error', nodeId: 'done', path: 'nodes[6].id' }),
    ]);
  });

  it('finds a missing start node', () => {
    const result = validateFlow({ ...orderFlow(), start: 'welcome' }, context);
    expect(find(result.findings, 'start_missing')).toEqual([expect.objectContaining({ nodeId: 'welcome' })]);
    expect(find(result.findings, 'unreachable_node')).toEqual([]);
  });

  it('finds dangling edges with the field that holds them', () => {
    const result = validateFlow(
      withNodes((nodes) => ((nodes[2] as MutableNode).onError = 'nowhere')),
      context,
    );
    expect(find(result.findings, 'dangling_edge')).toEqual([
      expect.objectContaining({ severity: 'error', nodeId: 'lookup', path: 'onError' }),
    ]);
    expect(result.valid).toBe(false);
  });

  it('warns about unreachable nodes', () => {
    const result = validateFlow(
      withNodes((nodes) => nodes.push({ id: 'orphan', type: 'message', text: 'never said', next: 'done' })),
      context,
    );
    expect(result.valid).toBe(true);
    expect(find(result.findings, 'unreachable_node')).toEqual([
      expect.objectContaining({ severity: 'warning', nodeId: 'orphan' }),
    ]);
  });

  it('requires a terminal node', () => {
    const result = validateFlow(
      {
        start: 'ask',
        nodes: [
          {
            id: 'ask',
            type: 'collect',
            slot: 'x',
            prompt: 'x?',
            valueType: 'string',
            next: 'say',
            onFail: 'ask',
          },
          { id: 'say', type: 'message', text: 'again', next: 'ask' },
        ],
      },
      context,
    );
    expect(find(result.findings, 'no_terminal_node')).toEqual([expect.objectContaining({ nodeId: 'ask' })]);
    expect(find(result.findings, 'loop_without_exit')).toEqual([expect.objectContaining({ nodeId: 'ask' })]);
  });

  it('finds a loop with no way to an end or handoff node', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        (nodes[3] as MutableNode).next = 'ask_order';
        (nodes[1] as MutableNode).onFail = 'ask_order';
        (nodes[2] as MutableNode).onError = 'greet';
      }),
      context,
    );
    const loops = find(result.findings, 'loop_without_exit');
    expect(loops).toHaveLength(1);
    expect(loops[0]).toMatchObject({ severity: 'error', nodeId: 'greet' });
    expect(loops[0]?.message).toContain("'ask_order'");
  });

  it('treats a loop that never waits as an error, or a warning when a condition can leave it', () => {
    const spin = {
      start: 'count',
      variables: { n: 0 },
      nodes: [
        { id: 'count', type: 'set', assign: { n: 'vars.n + 1' }, next: 'say' },
        { id: 'say', type: 'message', text: 'n={{vars.n}}', next: 'count' },
        { id: 'done', type: 'end' },
      ],
    };
    const hard = validateFlow(spin, context);
    expect(find(hard.findings, 'loop_without_exit')).toHaveLength(1);

    const withToolExit = structuredClone(spin) as { nodes: MutableNode[] };
    withToolExit.nodes[1] = {
      id: 'say',
      type: 'tool',
      tool: 'orders.lookup',
      next: 'count',
      onError: 'done',
    };
    const busy = validateFlow(withToolExit, context);
    expect(find(busy.findings, 'loop_without_wait')).toEqual([
      expect.objectContaining({ severity: 'error', nodeId: 'count' }),
    ]);

    const counted = structuredClone(spin) as { nodes: MutableNode[] };
    counted.nodes[1] = {
      id: 'say',
      type: 'condition',
      branches: [{ when: 'vars.n < 3', next: 'count' }],
      else: 'done',
    };
    const bounded = validateFlow(counted, context);
    expect(bounded.valid).toBe(true);
    expect(find(bounded.findings, 'loop_without_wait')).toEqual([
      expect.objectContaining({ severity: 'warning', nodeId: 'count' }),
    ]);
  });

  it('accepts a retry loop that waits for the user', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        (nodes[2] as MutableNode).onError = 'sorry';
        nodes.push({ id: 'sorry', type: 'message', text: 'Not found, try again.', next: 'ask_order' });
      }),
      context,
    );
    expect(result).toEqual({ valid: true, findings: [] });
  });

  it('detects a self-loop', () => {
    const result = validateFlow(
      {
        start: 'a',
        nodes: [
          { id: 'a', type: 'condition', branches: [{ when: 'true', next: 'a' }], else: 'z' },
          { id: 'z', type: 'end' },
        ],
      },
      context,
    );
    expect(find(result.findings, 'loop_without_wait')).toEqual([
      expect.objectContaining({ nodeId: 'a', severity: 'warning' }),
    ]);
  });

  it('finds unknown tools in tool and llm nodes', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        (nodes[2] as MutableNode).tool = 'orders.cancel';
        nodes.splice(4, 0, {
          id: 'chat',
          type: 'llm',
          instructions: 'help',
          tools: ['crm.create_lead', 'kb.search'],
          next: 'done',
        });
        (nodes[3] as MutableNode).next = 'chat';
      }),
      context,
    );
    expect(find(result.findings, 'unknown_tool')).toEqual([
      expect.objectContaining({ nodeId: 'lookup', path: 'tool' }),
      expect.objectContaining({ nodeId: 'chat', path: 'tools[1]' }),
    ]);
  });

  it('finds unknown delegate agents and delegation to the flow itself', () => {
    const delegate = (agentId: string) =>
      withNodes((nodes) => {
        nodes.splice(4, 0, { id: 'ask_expert', type: 'delegate', agentId, saveAs: 'answer', next: 'done' });
        (nodes[3] as MutableNode).next = 'ask_expert';
      });
    expect(validateFlow(delegate(OTHER_AGENT), context).valid).toBe(true);
    const unknown = validateFlow(delegate('agt_01JD4X3Y5Z6A7B8C9D0E1F2G3K'), context);
    expect(find(unknown.findings, 'unknown_agent')).toEqual([
      expect.objectContaining({ nodeId: 'ask_expert' }),
    ]);
    const self = validateFlow(delegate(SELF_AGENT), context);
    expect(find(self.findings, 'self_delegation')).toEqual([
      expect.objectContaining({ nodeId: 'ask_expert' }),
    ]);
  });

  it('warns about unknown and duplicated intents only when intents are known', () => {
    const flow = withNodes((nodes) => {
      nodes[0] = {
        id: 'greet',
        type: 'intent_router',
        routes: [
          { intent: 'order_status', next: 'ask_order' },
          { intent: 'cancel', next: 'human' },
          { intent: 'order_status', next: 'human' },
        ],
        fallback: 'human',
      };
    });
    const result = validateFlow(flow, context);
    expect(result.valid).toBe(true);
    expect(find(result.findings, 'unknown_intent')).toEqual([
      expect.objectContaining({ severity: 'warning', nodeId: 'greet', path: 'routes[1].intent' }),
    ]);
    expect(find(result.findings, 'duplicate_route')).toEqual([
      expect.objectContaining({ path: 'routes[2].intent' }),
    ]);
    const { knownIntents: _ignored, ...withoutIntents } = context;
    expect(find(validateFlow(flow, withoutIntents).findings, 'unknown_intent')).toEqual([]);
  });

  it('finds bad expressions with their position', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        (nodes[2] as MutableNode).input = { orderNumber: 'slots.orderId +', other: 'process.env' };
      }),
      context,
    );
    const bad = find(result.findings, 'bad_expression');
    expect(bad).toEqual([
      expect.objectContaining({ nodeId: 'lookup', path: 'input.orderNumber' }),
      expect.objectContaining({ nodeId: 'lookup', path: 'input.other' }),
    ]);
    expect(bad[1]?.message).toMatch(/unknown name 'process'.*character 1/);
  });

  it('warns about reads of slots never collected and variables never set', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        nodes[3] = {
          id: 'answer',
          type: 'condition',
          branches: [{ when: 'slots.email != null && vars.order.total > 10', next: 'done' }],
          else: 'done',
        };
        nodes[4] = { id: 'done', type: 'end', message: 'Bye {{slots.name}} {{vars.customer.name}}' };
      }),
      context,
    );
    expect(result.valid).toBe(true);
    expect(find(result.findings, 'unknown_slot')).toEqual([
      expect.objectContaining({ severity: 'warning', nodeId: 'answer', path: 'branches[0].when' }),
      expect.objectContaining({ severity: 'warning', nodeId: 'done', path: 'message' }),
    ]);
    expect(find(result.findings, 'unknown_variable')).toEqual([expect.objectContaining({ nodeId: 'done' })]);
  });

  it('finds bad templates', () => {
    const result = validateFlow(
      withNodes((nodes) => ((nodes[3] as MutableNode).text = 'Order {{slots.orderId is')),
      context,
    );
    expect(find(result.findings, 'bad_template')).toEqual([
      expect.objectContaining({ severity: 'error', nodeId: 'answer', path: 'text' }),
    ]);
  });

  it('checks collect enum options and regex patterns', () => {
    const collect = (extra: MutableNode) =>
      validateFlow(
        withNodes((nodes) => (nodes[1] = { ...(nodes[1] as MutableNode), pattern: undefined, ...extra })),
        context,
      );
    expect(find(collect({ valueType: 'enum' }).findings, 'enum_without_options')).toEqual([
      expect.objectContaining({ nodeId: 'ask_order', path: 'options' }),
    ]);
    expect(collect({ valueType: 'enum', options: ['a', 'b'] }).valid).toBe(true);
    expect(find(collect({ valueType: 'regex' }).findings, 'regex_without_pattern')).toEqual([
      expect.objectContaining({ nodeId: 'ask_order' }),
    ]);
    expect(
      find(collect({ valueType: 'regex', pattern: '(' }).findings, 'invalid_pattern')[0]?.message,
    ).toMatch(/ask_order.*invalid pattern/);
    expect(
      find(collect({ valueType: 'regex', pattern: '(\\d+)+$' }).findings, 'invalid_pattern'),
    ).toHaveLength(1);
    expect(find(collect({ valueType: 'string', options: ['a'] }).findings, 'options_ignored')).toHaveLength(
      1,
    );
    expect(find(collect({ valueType: 'string', pattern: 'a' }).findings, 'pattern_ignored')).toHaveLength(1);
  });

  it('names the node in every finding of a thoroughly broken flow', () => {
    const result = validateFlow(
      withNodes((nodes) => {
        (nodes[0] as MutableNode).text = '{{ nope }}';
        (nodes[2] as MutableNode).tool = 'x.y';
        (nodes[3] as MutableNode).next = 'missing';
        nodes.push({ id: 'stray', type: 'set', assign: { a: '1 +' }, next: 'stray' });
      }),
      context,
    );
    expect(result.valid).toBe(false);
    expect(result.findings.length).toBeGreaterThanOrEqual(5);
    for (const finding of result.findings) {
      expect(finding.nodeId).toEqual(expect.any(String));
      expect(finding.message).toContain(finding.nodeId as string);
    }
  });

  it('handles a long chain without deep recursion', () => {
    const nodes = Array.from({ length: 499 }, (_, index) => ({
      id: `n${index}`,
      type: 'message',
      text: 'x',
      next: `n${index + 1}`,
    }));
    const chain = { start: 'n0', nodes: [...nodes, { id: 'n499', type: 'end' }] };
    expect(validateFlow(chain, context).valid).toBe(true);
    const loop = { start: 'n0', nodes: [...nodes, { id: 'n499', type: 'message', text: 'x', next: 'n0' }] };
    expect(find(validateFlow(loop, context).findings, 'loop_without_exit')).toHaveLength(1);
  });
});
