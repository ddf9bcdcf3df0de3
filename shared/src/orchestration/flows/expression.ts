import jsep from 'jsep';
import { ExpressionError } from './expression-error.ts';
import {
  type ExpressionNode,
  type ExpressionScope,
  evaluateNode,
  FORBIDDEN_KEYS,
} from './expression-eval.ts';
import { EXPRESSION_FUNCTIONS } from './expression-functions.ts';

/**
 * The flow expression language: a small, side-effect free subset of JavaScript expressions, parsed with
 * jsep into an AST and interpreted by a whitelist evaluator (never `eval`, so it runs in Workers).
 *
 * - literals: numbers, strings, `true`, `false`, `null`, array literals `["a", "b"]`;
 * - identifiers rooted at `slots`, `vars`, `input`, `result`, `env`, with member access `a.b`, `a["b"]`,
 *   `a[0]` (own properties only; `__proto__`, `constructor` and `prototype` are refused);
 * - unary `! - +`; binary `== != === !== < <= > >= + - * / %`; logical `&& ||`; conditional `a ? b : c`;
 * - calls to `contains startsWith endsWith lower upper len number matches` only.
 *
 * Semantics are deliberately tame: a missing path is `undefined` (no throw), comparisons of mismatched
 * types are false, arithmetic that is not a finite number yields `null`. See `expression-eval.ts`.
 */

/** The roots an expression may read from. */
export const EXPRESSION_ROOTS = ['slots', 'vars', 'input', 'result', 'env'] as const;
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** The longest expression source accepted. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** The deepest AST accepted (nesting of operators, calls and members). */
export const MAX_EXPRESSION_DEPTH = 32;
/** The most AST nodes accepted. */
export const MAX_EXPRESSION_NODES = 250;

/** A parsed, checked expression (safe to cache and evaluate many times). */
export interface Expression {
  readonly source: string;
  readonly root: ExpressionNode;
}

export { ExpressionError } from './expression-error.ts';
export type { ExpressionNode, ExpressionScope } from './expression-eval.ts';

const BINARY = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', '+', '-', '*', '/', '%']);
const LOGICAL = new Set(['&&', '||']);
const UNARY = new Set(['!', '-', '+']);
const ROOTS: ReadonlySet<string> = new Set(EXPRESSION_ROOTS);

/** Parses and checks an expression; throws {@link ExpressionError} naming the problem and its position. */
export function parseExpression(source: string): Expression {
  if (typeof source !== 'string') throw new ExpressionError('expression must be a string', '');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, source);
  }
  if (source.trim() === '') throw new ExpressionError('expression is empty', source);
  let tree: jsep.Expression;
  try {
    tree = jsep(source);
  } catch (error) {
    const index = (error as { index?: unknown }).index;
    const description = (error as { description?: unknown }).description;
    const message = typeof description === 'string' ? description : 'syntax error';
    throw new ExpressionError(message, source, typeof index === 'number' ? index : 0);
  }
  const counter = { nodes: 0 };
  return { source, root: convert(tree, source, 0, counter) };
}

function fail(message: string, source: string, hint?: string): never {
  const found = hint ? source.indexOf(hint) : -1;
  throw new ExpressionError(message, source, Math.max(found, 0));
}

function convert(
  node: jsep.Expression,
  source: string,
  depth: number,
  counter: { nodes: number },
): ExpressionNode {
  if (depth > MAX_EXPRESSION_DEPTH) fail(`expression is nested deeper than ${MAX_EXPRESSION_DEPTH}`, source);
  counter.nodes += 1;
  if (counter.nodes > MAX_EXPRESSION_NODES)
    fail(`expression has more than ${MAX_EXPRESSION_NODES} parts`, source);
  const child = (inner: jsep.Expression): ExpressionNode => convert(inner, source, depth + 1, counter);
  switch (node.type) {
    case 'Literal': {
      const { value, raw } = node as jsep.Literal;
      if (value !== null && typeof value === 'object') fail('unsupported literal', source, raw);
      return { kind: 'literal', value };
    }
    case 'ArrayExpression': {
      const { elements } = node as jsep.ArrayExpression;
      if (elements.length > 100) fail('array literals hold at most 100 items', source, '[');
      return {
        kind: 'array',
        items: elements.map((element) =>
          element ? child(element) : fail('array holes are not allowed', source, ','),
        ),
      };
    }
    case 'Identifier': {
      const { name } = node as jsep.Identifier;
      if (!ROOTS.has(name)) {
        fail(`unknown name '${name}' (expressions read from ${EXPRESSION_ROOTS.join(', ')})`, source, name);
      }
      return { kind: 'root', name: name as ExpressionRoot };
    }
    case 'MemberExpression': {
      const member = node as jsep.MemberExpression;
      const object = child(member.object);
      if (!member.computed) {
        const name = (member.property as jsep.Identifier).name;
        if (FORBIDDEN_KEYS.has(name)) fail(`property '${name}' is not allowed`, source, name);
        return { kind: 'member', object, property: { kind: 'literal', value: name } };
      }
      const property = child(member.property);
      if (property.kind === 'literal' && FORBIDDEN_KEYS.has(String(property.value))) {
        fail(`property '${String(property.value)}' is not allowed`, source, String(property.value));
      }
      return { kind: 'member', object, property };
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      if (!UNARY.has(unary.operator))
        fail(`operator '${unary.operator}' is not allowed`, source, unary.operator);
      return { kind: 'unary', operator: unary.operator as '!' | '-' | '+', argument: child(unary.argument) };
    }
    case 'BinaryExpression': {
      const binary = node as jsep.BinaryExpression;
      const { operator } = binary;
      if (LOGICAL.has(operator)) {
        return {
          kind: 'logical',
          operator: operator as '&&' | '||',
          left: child(binary.left),
          right: child(binary.right),
        };
      }
      if (!BINARY.has(operator)) fail(`operator '${operator}' is not allowed`, source, operator);
      return { kind: 'binary', operator, left: child(binary.left), right: child(binary.right) };
    }
    case 'ConditionalExpression': {
      const conditional = node as jsep.ConditionalExpression;
      return {
        kind: 'conditional',
        test: child(conditional.test),
        consequent: child(conditional.consequent),
        alternate: child(conditional.alternate),
      };
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      if (call.callee.type !== 'Identifier') fail('only the built-in functions can be called', source, '(');
      const name = (call.callee as jsep.Identifier).name;
      const definition = Object.hasOwn(EXPRESSION_FUNCTIONS, name) ? EXPRESSION_FUNCTIONS[name] : undefined;
      if (!definition) {
        fail(
          `unknown function '${name}' (allowed: ${Object.keys(EXPRESSION_FUNCTIONS).join(', ')})`,
          source,
          name,
        );
      }
      if (call.arguments.length !== definition.arity) {
        fail(
          `${name}() takes ${definition.arity} argument${definition.arity === 1 ? '' : 's'}`,
          source,
          name,
        );
      }
      const args = call.arguments.map(child);
      const pattern = args[1];
      if (name === 'matches' && pattern?.kind === 'literal') definition.check?.(pattern.value, source);
      return { kind: 'call', name, args };
    }
    case 'Compound':
      // `typeof x`, `new Foo()`: jsep reads a juxtaposition; name the first unknown word, if any.
      for (const part of (node as jsep.Compound).body) child(part);
      fail('only one expression is allowed (is an operator missing?)', source);
      break;
    case 'SequenceExpression':
      fail('comma-separated expressions are not allowed', source, ',');
      break;
    case 'ThisExpression':
      fail("'this' is not allowed", source, 'this');
      break;
  }
  return fail(`unsupported syntax (${node.type})`, source);
}

/**
 * Evaluates an expression (parsed or source) against a scope. Throws {@link ExpressionError} on a parse
 * failure or an evaluation error (e.g. a refused `matches` pattern); ordinary type mismatches do not throw.
 */
export function evaluateExpression(expression: Expression | string, scope: ExpressionScope): unknown {
  const parsed = typeof expression === 'string' ? parseExpression(expression) : expression;
  try {
    return evaluateNode(parsed.root, scope);
  } catch (error) {
    if (error instanceof ExpressionError)
      throw new ExpressionError(error.message, parsed.source, error.position);
    throw new ExpressionError(error instanceof Error ? error.message : String(error), parsed.source);
  }
}

/**
 * The static paths an expression reads, in order of appearance, e.g. `['slots.orderId', 'vars.customer.name']`.
 * A dynamic member (`vars.map[slots.key]`) contributes its static prefix (`vars.map`) and its own references.
 */
export function expressionReferences(expression: Expression | string): string[] {
  const parsed = typeof expression === 'string' ? parseExpression(expression) : expression;
  const found = new Set<string>();
  collect(parsed.root, found);
  return [...found];
}

function staticPath(node: ExpressionNode): string | undefined {
  if (node.kind === 'root') return node.name;
  if (node.kind !== 'member' || node.property.kind !== 'literal') return undefined;
  const parent = staticPath(node.object);
  return parent === undefined ? undefined : `${parent}.${String(node.property.value)}`;
}

function collect(node: ExpressionNode, found: Set<string>): void {
  const path = staticPath(node);
  if (path !== undefined) {
    found.add(path);
    return;
  }
  switch (node.kind) {
    case 'member':
      collect(node.object, found);
      collect(node.property, found);
      return;
    case 'unary':
      collect(node.argument, found);
      return;
    case 'binary':
    case 'logical':
      collect(node.left, found);
      collect(node.right, found);
      return;
    case 'conditional':
      collect(node.test, found);
      collect(node.consequent, found);
      collect(node.alternate, found);
      return;
    case 'call':
      for (const arg of node.args) collect(arg, found);
      return;
    case 'array':
      for (const item of node.items) collect(item, found);
      return;
    case 'literal':
    case 'root':
      return;
  }
}
