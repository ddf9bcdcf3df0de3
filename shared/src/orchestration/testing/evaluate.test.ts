import { describe, expect, it } from 'vitest';
import { evaluateExpectation, jsonContains, jsonEqual, type TurnObservation } from './evaluate.ts';
import { Expectation } from './model.ts';

const observation: TurnObservation = {
  reply: 'Order 10420 has shipped with UPS.\nIs there anything else I can help you with?',
  nodes: ['ask_order', 'lookup_order', 'order_shipped', 'anything_else'],
  toolCalls: [{ tool: 'orders.lookup', input: { orderNumber: '10420', options: { fast: true } }, ok: true }],
  slots: { orderNumber: '10420', count: 3, flags: { vip: true } },
  status: 'active',
  userTexts: ['check my order', '10420'],
};

const verdict = (input: unknown, seen: Partial<TurnObservation> = {}) => {
  const { passed, actual, message } = evaluateExpectation(Expectation.parse(input), {
    ...observation,
    ...seen,
  });
  return { passed, actual, message };
};

describe('expectation evaluator', () => {
  it('compares JSON structurally and by containment', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    expect(jsonContains({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } })).toBe(true);
    expect(jsonContains({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(jsonContains({ a: null }, { a: null })).toBe(true);
    expect(jsonContains({}, { a: null })).toBe(false);
    expect(jsonContains([{ a: 1, b: 2 }], [{ a: 1 }])).toBe(true);
  });

  it('checks nodes reached, naming the path otherwise', () => {
    expect(verdict({ type: 'node_reached', node: 'order_shipped' })).toMatchObject({ passed: true });
    expect(verdict({ type: 'node_reached', node: 'goodbye' })).toEqual({
      passed: false,
      actual: observation.nodes,
      message:
        "node 'goodbye' was not reached; the turn ran ask_order → lookup_order → order_shipped → anything_else",
    });
    expect(verdict({ type: 'node_reached', node: 'greet' }, { nodes: [] }).message).toBe(
      "node 'greet' was not reached; the turn ran no node",
    );
  });

  it('checks slots by value and by pattern', () => {
    expect(verdict({ type: 'slot', name: 'count', equals: 3 }).passed).toBe(true);
    expect(verdict({ type: 'slot', name: 'count', equals: '3' })).toEqual({
      passed: false,
      actual: 3,
      message: `slot 'count' is 3, expected "3"`,
    });
    expect(verdict({ type: 'slot', name: 'flags', equals: { vip: true } }).passed).toBe(true);
    expect(verdict({ type: 'slot', name: 'missing', equals: null })).toEqual({
      passed: true,
      actual: null,
      message: "slot 'missing' is not set",
    });
    expect(verdict({ type: 'slot', name: 'orderNumber', matches: '^\\d{5}$' }).passed).toBe(true);
    expect(verdict({ type: 'slot', name: 'count', matches: '^3$' }).passed).toBe(true);
    expect(verdict({ type: 'slot', name: 'orderNumber', matches: '^9' }).message).toBe(
      `slot 'orderNumber' is "10420", not matching /^9/`,
    );
    expect(verdict({ type: 'slot', name: 'missing', matches: '.*' }).passed).toBe(false);
  });

  it('checks tool calls, with an optional partial input', () => {
    expect(verdict({ type: 'tool_called', tool: 'orders.lookup' }).passed).toBe(true);
    expect(
      verdict({ type: 'tool_called', tool: 'orders.lookup', input: { options: { fast: true } } }).passed,
    ).toBe(true);
    expect(
      verdict({ type: 'tool_called', tool: 'orders.lookup', input: { orderNumber: 10420 } }).message,
    ).toBe(
      'orders.lookup was called, but not with input containing {"orderNumber":10420} (got {"orderNumber":"10420","options":{"fast":true}})',
    );
    expect(verdict({ type: 'tool_called', tool: 'refund.issue' }).message).toBe(
      'refund.issue was not called (tools called: orders.lookup)',
    );
  });

  it('checks reply text: contains (case-insensitive by default), not contains, matches', () => {
    expect(verdict({ type: 'text_contains', value: 'HAS SHIPPED' }).passed).toBe(true);
    expect(verdict({ type: 'text_contains', value: 'HAS SHIPPED', caseSensitive: true }).passed).toBe(false);
    expect(verdict({ type: 'not_text_contains', value: 'delivered' }).passed).toBe(true);
    expect(verdict({ type: 'not_text_contains', value: 'ups' })).toMatchObject({
      passed: false,
      message: 'the reply contains "ups"',
    });
    expect(verdict({ type: 'text_matches', pattern: '^Order \\d+ has shipped with (UPS|DHL)' }).passed).toBe(
      true,
    );
    expect(verdict({ type: 'text_matches', pattern: '^order' }).passed).toBe(false);
    expect(verdict({ type: 'text_matches', pattern: '^order', caseSensitive: false }).passed).toBe(true);
    expect(verdict({ type: 'text_matches', pattern: 'x' }, { reply: 'x'.repeat(20_000) }).passed).toBe(false);
  });

  it('refuses unsafe patterns when the suite is parsed', () => {
    for (const pattern of ['(a+)+$', '(a|aa)*', '(\\w)\\1', '[']) {
      expect(Expectation.safeParse({ type: 'text_matches', pattern }).success, pattern).toBe(false);
      expect(Expectation.safeParse({ type: 'slot', name: 's', matches: pattern }).success, pattern).toBe(
        false,
      );
    }
  });

  it('finds personal data in the reply and echoes of what the user said', () => {
    expect(verdict({ type: 'no_pii' })).toEqual({
      passed: true,
      actual: [],
      message: 'the reply holds no personal data',
    });
    const leaky = { reply: 'We will email ann@example.com, call 415.555.0100 and charge 4111111111111111.' };
    expect(verdict({ type: 'no_pii' }, leaky)).toEqual({
      passed: false,
      actual: ['email a•••@example.com', 'phone ••••0100', 'card ••••1111'],
      message: 'the reply holds personal data: email a•••@example.com, phone ••••0100, card ••••1111',
    });
    expect(verdict({ type: 'no_pii', kinds: ['card'] }, leaky).actual).toEqual(['card ••••1111']);
    expect(verdict({ type: 'no_pii', allow: ['ann@example.com', '(415) 555-0100'] }, leaky).actual).toEqual([
      'card ••••1111',
    ]);
    // The user's SSN repeated inside a reference, where the detector alone would not report it.
    const echoed = verdict(
      { type: 'no_pii' },
      { reply: 'Your reference is 123456789A.', userTexts: ['my ssn is 123-45-6789'] },
    );
    expect(echoed).toMatchObject({ passed: false, actual: ['ssn ••••6789'] });
    expect(verdict({ type: 'no_pii' }, { reply: 'Your reference is 123456789A.' }).passed).toBe(true);
  });

  it('checks the conversation status', () => {
    expect(verdict({ type: 'status', equals: 'active' }).passed).toBe(true);
    expect(verdict({ type: 'status', equals: 'handed_off' }, { status: 'awaiting_approval' })).toEqual({
      passed: false,
      actual: 'awaiting_approval',
      message: 'the conversation is awaiting_approval, expected handed_off',
    });
  });
});
