import { describe, expect, it } from 'vitest';
import { demoSupportFlow } from '../demo/demo-flow.ts';
import { demoTestCases } from '../demo/demo-test-suite.ts';
import { FlowDefinition } from '../flows/definition.ts';
import { checkCase, vocabularyOf } from './case-check.ts';
import { TestCase, TestCases, TestTarget } from './model.ts';

const demoFlow = FlowDefinition.parse(demoSupportFlow({ billingAgentId: `agt_${'0'.repeat(26)}` }));
const registry = new Set(['orders.lookup', 'refund.issue', 'crm.create_lead']);

describe('test case model and checks against the flow', () => {
  it('accepts the demo suite and finds nothing wrong with it against the demo flow', () => {
    const cases = TestCases.parse(demoTestCases());
    const vocabulary = vocabularyOf(demoFlow);
    expect(vocabulary.tools).toEqual(new Set(['orders.lookup', 'refund.issue']));
    expect(vocabulary.delegates).toBe(true);
    for (const testCase of cases) expect(checkCase(testCase, vocabulary, registry)).toEqual([]);
  });

  it('reports unknown nodes, unfilled slots and tools the flow never calls, per turn and expectation', () => {
    const testCase = TestCase.parse({
      name: 'c',
      turns: [
        { expect: [{ type: 'node_reached', node: 'greet' }] },
        {
          user: 'x',
          expect: [
            { type: 'node_reached', node: 'nope' },
            { type: 'slot', name: 'email', equals: 'a' },
            { type: 'tool_called', tool: 'crm.create_lead' },
            { type: 'tool_called', tool: 'calendar.book' },
          ],
        },
      ],
    });
    const findings = checkCase(testCase, vocabularyOf(demoFlow), registry);
    expect(findings.map(({ turn, expectation }) => [turn, expectation])).toEqual([
      [1, 0],
      [1, 1],
      [1, 3],
    ]);
    expect(findings[0]?.message).toMatch(
      /^turn 2: node 'nope' is not a node of the flow \(nodes: 'greet', 'route'/,
    );
    // Without delegation only the flow's own tools count.
    const direct = FlowDefinition.parse({
      start: 'a',
      nodes: [
        { id: 'a', type: 'tool', tool: 'orders.lookup', next: 'b' },
        { id: 'b', type: 'end' },
      ],
    });
    expect(checkCase(testCase, vocabularyOf(direct), registry).map((finding) => finding.message)).toContain(
      "turn 2: tool 'crm.create_lead' is never called by the flow (tools: 'orders.lookup')",
    );
  });

  it('applies defaults and refuses malformed cases and targets', () => {
    expect(TestCase.parse({ name: ' c ', turns: [{ user: 'hi' }] })).toEqual({
      name: 'c',
      turns: [{ user: 'hi', expect: [] }],
    });
    const refused = [
      { name: 'c', turns: [{ user: 'a' }, {}] },
      { name: 'c', turns: [{ digits: 'abc' }] },
      { name: 'c', turns: Array.from({ length: 31 }, () => ({ user: 'a' })) },
      { name: 'c', turns: [{ user: 'a', expect: [{ type: 'slot', name: 's', equals: 1, matches: 'x' }] }] },
      { name: 'c', turns: [{ user: 'a', expect: [{ type: 'tool_called', tool: 'NotNamespaced' }] }] },
      { name: 'c', variables: { 'bad name': 1 }, turns: [{ user: 'a' }] },
      {
        name: 'c',
        turns: [
          {
            user: 'a',
            expect: [{ type: 'slot', name: 's', equals: JSON.parse(`${'['.repeat(20)}${']'.repeat(20)}`) }],
          },
        ],
      },
    ];
    for (const input of refused)
      expect(TestCase.safeParse(input).success, JSON.stringify(input).slice(0, 80)).toBe(false);
    expect(TestCases.safeParse([]).success).toBe(false);
    expect(TestTarget.parse({ type: 'version', version: 3 })).toEqual({ type: 'version', version: 3 });
    expect(TestTarget.safeParse({ type: 'version', version: 0 }).success).toBe(false);
    expect(TestTarget.safeParse({ type: 'published', flowId: 'x' }).success).toBe(false);
  });
});
