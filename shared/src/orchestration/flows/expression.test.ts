import { describe, expect, it } from 'vitest';
import {
  EXPRESSION_ROOTS,
  ExpressionError,
  type ExpressionScope,
  evaluateExpression,
  expressionReferences,
  MAX_EXPRESSION_LENGTH,
  parseExpression,
} from './expression.ts';

const scope: ExpressionScope = {
  slots: { orderId: 'A-123', amount: 120, email: 'Ann@Example.com', tags: ['vip', 'eu'], empty: '' },
  vars: {
    customer: { name: 'Ann', 'first-name': 'Ann', orders: [{ id: 'o1' }, { id: 'o2' }] },
    count: 2,
    key: 'name',
  },
  input: { text: 'I want a REFUND please' },
  result: { status: 'shipped', eta: '2025-06-01' },
  env: { channel: 'voice' },
};

const run = (source: string, overrides: Partial<ExpressionScope> = {}): unknown =>
  evaluateExpression(source, { ...scope, ...overrides });

function parseError(source: string): ExpressionError {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`expected '${source}' to be refused`);
}

describe('evaluateExpression', () => {
  it('evaluates literals and array literals', () => {
    expect(run('42')).toBe(42);
    expect(run('"text"')).toBe('text');
    expect(run("'single'")).toBe('single');
    expect(run('true')).toBe(true);
    expect(run('null')).toBeNull();
    expect(run('[1, "a", slots.amount]')).toEqual([1, 'a', 120]);
  });

  it('reads paths from every root, with dot and bracket access', () => {
    expect(run('slots.orderId')).toBe('A-123');
    expect(run('vars.customer.name')).toBe('Ann');
    expect(run('vars.customer["first-name"]')).toBe('Ann');
    expect(run('vars.customer[vars.key]')).toBe('Ann');
    expect(run('vars.customer.orders[1].id')).toBe('o2');
    expect(run('input.text')).toBe('I want a REFUND please');
    expect(run('result.status')).toBe('shipped');
    expect(run('env.channel')).toBe('voice');
    expect(run('slots.tags.length')).toBe(2);
  });

  it('answers undefined for missing paths without throwing', () => {
    expect(run('slots.missing')).toBeUndefined();
    expect(run('slots.missing.deeper.still')).toBeUndefined();
    expect(run('vars.customer.orders[9].id')).toBeUndefined();
    expect(run('result.status', { result: undefined })).toBeUndefined();
    expect(run('env.channel', { env: undefined })).toBeUndefined();
    expect(run('slots.x?.y')).toBeUndefined();
  });

  it('never reaches the prototype chain, even with computed keys', () => {
    const hostile = { slots: { key: '__proto__', c: 'constructor', m: 'toString' }, vars: {}, input: {} };
    expect(evaluateExpression('slots[slots.key]', hostile)).toBeUndefined();
    expect(evaluateExpression('slots[slots.c]', hostile)).toBeUndefined();
    expect(evaluateExpression('slots[slots.m]', hostile)).toBeUndefined();
    expect(evaluateExpression('slots["hasOwnProperty"]', hostile)).toBeUndefined();
    expect(evaluateExpression('slots.key.length', hostile)).toBe(9);
  });

  it('does not expose functions or class instances from the scope', () => {
    const odd = { slots: { fn: () => 1, when: new Date(0), map: new Map([['a', 1]]) }, vars: {}, input: {} };
    expect(evaluateExpression('slots.fn', odd)).toBeUndefined();
    expect(evaluateExpression('slots.map.size', odd)).toBeUndefined();
    expect(evaluateExpression('slots.when.getTime', odd)).toBeUndefined();
  });

  it('applies comparison operators with tame type rules', () => {
    expect(run('slots.amount > 100')).toBe(true);
    expect(run('slots.amount <= 119')).toBe(false);
    expect(run('slots.amount >= "120"')).toBe(true);
    expect(run('"b" > "a"')).toBe(true);
    expect(run('result.eta < "2025-07-01"')).toBe(true);
    expect(run('slots.missing > 1')).toBe(false);
    expect(run('slots.missing < 1')).toBe(false);
    expect(run('slots.tags > 1')).toBe(false);
    expect(run('"abc" < 5')).toBe(false);
  });

  it('applies equality: == is lenient about numbers in text and null/undefined, === is structural', () => {
    expect(run('slots.amount == "120"')).toBe(true);
    expect(run('slots.amount === "120"')).toBe(false);
    expect(run('slots.amount === 120')).toBe(true);
    expect(run('slots.missing == null')).toBe(true);
    expect(run('slots.missing === null')).toBe(false);
    expect(run('slots.tags == ["vip", "eu"]')).toBe(true);
    expect(run('slots.tags !== ["vip"]')).toBe(true);
    expect(run('result.status != "shipped"')).toBe(false);
    expect(run('true == "true"')).toBe(false);
  });

  it('does arithmetic and turns non-finite results into null', () => {
    expect(run('slots.amount * 2 + 1')).toBe(241);
    expect(run('(slots.amount - 20) / 4')).toBe(25);
    expect(run('vars.count % 2')).toBe(0);
    expect(run('-slots.amount')).toBe(-120);
    expect(run('+"7"')).toBe(7);
    expect(run('1 / 0')).toBeNull();
    expect(run('slots.orderId * 2')).toBeNull();
    expect(run('-slots.tags')).toBeNull();
    expect(run('slots.missing + 1')).toBeNull();
  });

  it('concatenates with + when either side is text, rendering missing values as empty', () => {
    expect(run('"Order " + slots.orderId')).toBe('Order A-123');
    expect(run('"n=" + vars.count')).toBe('n=2');
    expect(run('"x" + slots.missing')).toBe('x');
  });

  it('short-circuits logical operators and returns operand values', () => {
    expect(run('slots.amount > 100 && slots.orderId')).toBe('A-123');
    expect(run('slots.empty || "fallback"')).toBe('fallback');
    expect(run('!slots.empty')).toBe(true);
    expect(run('!!slots.orderId')).toBe(true);
    expect(run('false && matches(slots.orderId, "x")')).toBe(false);
  });

  it('supports the conditional operator', () => {
    expect(run('slots.amount > 100 ? "large" : "small"')).toBe('large');
    expect(run('slots.missing ? 1 : slots.amount > 500 ? 2 : 3')).toBe(3);
  });

  it('calls the whitelisted functions', () => {
    expect(run('contains(lower(input.text), "refund")')).toBe(true);
    expect(run('contains(input.text, "refund")')).toBe(false);
    expect(run('contains(slots.tags, "vip")')).toBe(true);
    expect(run('contains(vars.customer, "name")')).toBe(true);
    expect(run('contains(slots.missing, "x")')).toBe(false);
    expect(run('startsWith(slots.orderId, "A-")')).toBe(true);
    expect(run('endsWith(slots.email, ".com")')).toBe(true);
    expect(run('startsWith(slots.tags, "v")')).toBe(false);
    expect(run('upper(slots.orderId)')).toBe('A-123');
    expect(run('lower(slots.email)')).toBe('ann@example.com');
    expect(run('len(slots.tags) + len(slots.orderId) + len(vars.customer) + len(slots.missing)')).toBe(10);
    expect(run('number("12.5") + 1')).toBe(13.5);
    expect(run('number("abc")')).toBeNull();
    expect(run('number(true)')).toBe(1);
    expect(run('matches(slots.orderId, "^[A-Z]-\\\\d{3}$")')).toBe(true);
    expect(run('matches(slots.email, "^\\\\S+@\\\\S+$")')).toBe(true);
    expect(run('matches(slots.tags, "vip")')).toBe(false);
  });

  it('refuses catastrophic patterns passed at run time', () => {
    const hostile = { slots: { p: '(a+)+$', text: `${'a'.repeat(40)}!` }, vars: {}, input: {} };
    expect(() => evaluateExpression('matches(slots.text, slots.p)', hostile)).toThrow(/nested quantifiers/);
    expect(() => evaluateExpression('matches(slots.text, slots.missing)', hostile)).toThrow(ExpressionError);
    expect(() => evaluateExpression('matches(slots.text, "x{1,2}y")', hostile)).not.toThrow();
  });

  it('answers false for over-long match inputs rather than risking slow matching', () => {
    const big = { slots: { text: 'a'.repeat(20_000) }, vars: {}, input: {} };
    expect(evaluateExpression('matches(slots.text, "^a+$")', big)).toBe(false);
  });

  it('caps the length of strings built by concatenation', () => {
    const big = { slots: { text: 'x'.repeat(60_000) }, vars: {}, input: {} };
    expect(() => evaluateExpression('slots.text + slots.text', big)).toThrow(/too long/);
  });

  it('accepts a parsed expression and evaluates it repeatedly', () => {
    const parsed = parseExpression('slots.amount > 100');
    expect(evaluateExpression(parsed, scope)).toBe(true);
    expect(evaluateExpression(parsed, { ...scope, slots: { amount: 5 } })).toBe(false);
  });
});

describe('parseExpression refusals', () => {
  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['foo', /unknown name 'foo'/],
    ['window.alert', /unknown name 'window'/],
    ['globalThis', /unknown name/],
    ['this', /'this' is not allowed/],
    ['slots.__proto__', /'__proto__' is not allowed/],
    ['slots["__proto__"]', /'__proto__' is not allowed/],
    ['slots.x.constructor', /'constructor' is not allowed/],
    ['vars.prototype', /'prototype' is not allowed/],
    ['slots.x.toString()', /only the built-in functions/],
    ['eval("1")', /unknown function 'eval'/],
    ['Function("return 1")', /unknown function/],
    ['contains(slots.x)', /takes 2 arguments/],
    ['len(1, 2)', /takes 1 argument$/],
    ['matches(slots.x, "(a+)+$")', /nested quantifiers/],
    ['matches(slots.x, "(a|aa)*b")', /alternation/],
    ['matches(slots.x, "(x)\\\\1")', /backreferences/],
    ['matches(slots.x, "[")', /invalid pattern/],
    [`matches(slots.x, "${'a'.repeat(201)}")`, /longer than 200/],
    ['matches(slots.x, 5)', /string pattern/],
    ['slots.a = 1', /Unexpected/],
    ['slots.a; slots.b', /only one expression/],
    ['typeof slots.a', /unknown name 'typeof'/],
    ['new Date()', /unknown name 'new'/],
    ['1 | 2', /operator '\|'/],
    ['1 << 2', /operator '<<'/],
    ['slots.a ?? 1', /operator '\?\?'/],
    ['~1', /operator '~'/],
    ['[1, , 2]', /holes/],
    ['`x`', /Unexpected/],
    ['(slots.a', /Unclosed/],
    ['slots.a +', /Expected expression/],
  ])('refuses %s', (source, message) => {
    expect(parseError(source).message).toMatch(message);
  });

  it('reports the position of the problem', () => {
    expect(parseError('slots.a + + ').position).toBeGreaterThan(0);
    expect(parseError('slots.a && bogus').position).toBe(11);
    expect(parseError('slots.a && bogus').source).toBe('slots.a && bogus');
  });

  it('enforces length, depth and size limits', () => {
    expect(parseError(`${'1+'.repeat(600)}1`).message).toMatch(/longer than/);
    expect(() => parseExpression('x'.repeat(MAX_EXPRESSION_LENGTH + 1))).toThrow(ExpressionError);
    expect(parseError(`${'!'.repeat(40)}true`).message).toMatch(/nested deeper/);
    // Parentheses add no AST depth: 400 of them are within the length limit and parse to the literal.
    expect(parseExpression(`${'('.repeat(400)}1${')'.repeat(400)}`).root).toEqual({
      kind: 'literal',
      value: 1,
    });
    const wide = `[${Array.from({ length: 120 }, (_, index) => index).join(',')}]`;
    expect(parseError(wide).message).toMatch(/at most 100/);
    const deepChain = Array.from({ length: 300 }, () => '1').join('+');
    expect(parseError(deepChain).message).toMatch(/nested deeper/);
    // Wide but shallow: 30 calls of 9 nodes each exceed the node budget without exceeding the depth.
    const wideCalls = `[${Array.from({ length: 30 }, () => 'contains(slots.a,[1,2,3,4,5])').join(',')}]`;
    expect(parseError(wideCalls).message).toMatch(/more than 250 parts/);
  });

  it('refuses non-string input', () => {
    expect(() => parseExpression(5 as unknown as string)).toThrow(ExpressionError);
  });

  it('reads only the documented roots', () => {
    for (const root of EXPRESSION_ROOTS) expect(() => parseExpression(`${root}.x`)).not.toThrow();
  });
});

describe('expressionReferences', () => {
  it('lists static paths in order, without duplicates', () => {
    expect(expressionReferences('slots.orderId != null && contains(slots.orderId, vars.prefix)')).toEqual([
      'slots.orderId',
      'vars.prefix',
    ]);
    expect(expressionReferences('vars.customer["name"] + input.text')).toEqual([
      'vars.customer.name',
      'input.text',
    ]);
    expect(expressionReferences('vars.map[slots.key].x')).toEqual(['vars.map', 'slots.key']);
    expect(expressionReferences('len(slots)')).toEqual(['slots']);
    expect(expressionReferences('1 + 2')).toEqual([]);
    expect(expressionReferences(parseExpression('result.ok ? env.a : [vars.b]'))).toEqual([
      'result.ok',
      'env.a',
      'vars.b',
    ]);
  });
});
