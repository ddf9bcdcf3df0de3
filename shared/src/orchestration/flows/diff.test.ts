import { describe, expect, it } from 'vitest';
import { FlowDefinition } from './definition.ts';
import { diffFlows } from './diff.ts';

const v1 = FlowDefinition.parse({
  start: 'greet',
  variables: { tries: 0, greeting: 'hi' },
  nodes: [
    { id: 'greet', type: 'message', text: 'Hello', next: 'done' },
    { id: 'old', type: 'message', text: 'unused', next: 'done' },
    { id: 'done', type: 'end' },
  ],
});

describe('diffFlows', () => {
  it('reports identical definitions, regardless of node order', () => {
    const reordered = { ...v1, nodes: [...v1.nodes].reverse() };
    const diff = diffFlows(v1, v1);
    expect(diff.identical).toBe(true);
    expect(diff.nodes).toEqual({ added: [], removed: [], changed: [] });
    expect(diffFlows(v1, reordered).nodes).toEqual({ added: [], removed: [], changed: [] });
  });

  it('lists added, removed and changed nodes with the changed fields', () => {
    const v2 = FlowDefinition.parse({
      start: 'welcome',
      variables: { tries: 1, extra: true },
      settings: { maxStepsPerTurn: 20 },
      nodes: [
        { id: 'welcome', type: 'message', text: 'Welcome', next: 'greet' },
        { id: 'greet', type: 'message', text: 'Hello there', label: 'hi', next: 'done' },
        { id: 'done', type: 'end', outcome: 'escalated' },
      ],
    });
    const diff = diffFlows(v1, v2);
    expect(diff.identical).toBe(false);
    expect(diff.start).toEqual({ from: 'greet', to: 'welcome' });
    expect(diff.nodes.added).toEqual([{ id: 'welcome', type: 'message' }]);
    expect(diff.nodes.removed).toEqual([{ id: 'old', type: 'message' }]);
    expect(diff.nodes.changed).toEqual([
      {
        id: 'greet',
        type: 'message',
        fields: [
          { field: 'label', from: null, to: 'hi' },
          { field: 'text', from: 'Hello', to: 'Hello there' },
        ],
      },
      { id: 'done', type: 'end', fields: [{ field: 'outcome', from: 'resolved', to: 'escalated' }] },
    ]);
    expect(diff.variables).toEqual({
      added: ['extra'],
      removed: ['greeting'],
      changed: [{ field: 'tries', from: 0, to: 1 }],
    });
    expect(diff.settings).toEqual([{ field: 'maxStepsPerTurn', from: 50, to: 20 }]);
  });

  it('reports a node whose type changed', () => {
    const v2 = FlowDefinition.parse({
      ...v1,
      nodes: [v1.nodes[0], { id: 'old', type: 'end' }, v1.nodes[2]],
    });
    const change = diffFlows(v1, v2).nodes.changed[0];
    expect(change?.id).toBe('old');
    expect(change?.fields.map((field) => field.field)).toEqual(['next', 'outcome', 'text', 'type']);
  });
});
