import { ExpressionError } from './expression-error.ts';
import { EXPRESSION_FUNCTIONS } from './expression-functions.ts';
import {
  compareValues,
  finiteOrNull,
  isPlainRecord,
  isTruthy,
  looseEquals,
  MAX_STRING_LENGTH,
  strictEquals,
  stringifyValue,
  toNumber,
} from './expression-values.ts';

/** What an expression evaluates against. Every record is read-only for the expression. */
export interface ExpressionScope {
  slots: Record<string, unknown>;
  vars: Record<string, unknown>;
  input: Record<string, unknown>;
  result?: unknown;
  env?: Record<string, unknown>;
}

/** The checked AST the evaluator interprets (converted from jsep's, so only whitelisted shapes exist). */
export type ExpressionNode =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'array'; items: ExpressionNode[] }
  | { kind: 'root'; name: 'slots' | 'vars' | 'input' | 'result' | 'env' }
  | { kind: 'member'; object: ExpressionNode; property: ExpressionNode }
  | { kind: 'unary'; operator: '!' | '-' | '+'; argument: ExpressionNode }
  | { kind: 'binary'; operator: string; left: ExpressionNode; right: ExpressionNode }
  | { kind: 'logical'; operator: '&&' | '||'; left: ExpressionNode; right: ExpressionNode }
  | { kind: 'conditional'; test: ExpressionNode; consequent: ExpressionNode; alternate: ExpressionNode }
  | { kind: 'call'; name: string; args: ExpressionNode[] };

/** Keys that reach an object's prototype machinery; never read, even when computed at run time. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Reads `key` from a value: own properties of plain records, integer indices (and `length`) of lists and text. */
export function readMember(object: unknown, key: unknown): unknown {
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const name = String(key);
  if (FORBIDDEN_KEYS.has(name)) return undefined;
  if (Array.isArray(object) || typeof object === 'string') {
    if (name === 'length') return object.length;
    const index = Number(name);
    return Number.isInteger(index) && index >= 0 && index < object.length ? object[index] : undefined;
  }
  if (isPlainRecord(object) && Object.hasOwn(object, name)) {
    const value = object[name];
    return typeof value === 'function' ? undefined : value;
  }
  return undefined;
}

/** The value of a root name (`slots`, `vars`, `input`, `result`, `env`) in a scope. */
export function rootValue(name: string, scope: ExpressionScope): unknown {
  switch (name) {
    case 'slots':
      return scope.slots;
    case 'vars':
      return scope.vars;
    case 'input':
      return scope.input;
    case 'result':
      return scope.result;
    case 'env':
      return scope.env;
    default:
      return undefined;
  }
}

function add(left: unknown, right: unknown): unknown {
  if (typeof left === 'number' && typeof right === 'number') return finiteOrNull(left + right);
  if (typeof left === 'string' || typeof right === 'string') {
    const text = stringifyValue(left) + stringifyValue(right);
    if (text.length > MAX_STRING_LENGTH) throw new ExpressionError('string result is too long', '');
    return text;
  }
  const a = toNumber(left);
  const b = toNumber(right);
  return a === undefined || b === undefined ? null : finiteOrNull(a + b);
}

function arithmetic(operator: string, left: unknown, right: unknown): number | null {
  const a = toNumber(left);
  const b = toNumber(right);
  if (a === undefined || b === undefined) return null;
  switch (operator) {
    case '-':
      return finiteOrNull(a - b);
    case '*':
      return finiteOrNull(a * b);
    case '/':
      return finiteOrNull(a / b);
    default:
      return finiteOrNull(a % b);
  }
}

function binary(operator: string, left: unknown, right: unknown): unknown {
  switch (operator) {
    case '==':
      return looseEquals(left, right);
    case '!=':
      return !looseEquals(left, right);
    case '===':
      return strictEquals(left, right);
    case '!==':
      return !strictEquals(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const order = compareValues(left, right);
      if (order === undefined || Number.isNaN(order)) return false;
      if (operator === '<') return order < 0;
      if (operator === '<=') return order <= 0;
      if (operator === '>') return order > 0;
      return order >= 0;
    }
    case '+':
      return add(left, right);
    default:
      return arithmetic(operator, left, right);
  }
}

/** Interprets a checked AST node. Only `ExpressionError`s are thrown. */
export function evaluateNode(node: ExpressionNode, scope: ExpressionScope): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'array':
      return node.items.map((item) => evaluateNode(item, scope));
    case 'root':
      return rootValue(node.name, scope);
    case 'member':
      return readMember(evaluateNode(node.object, scope), evaluateNode(node.property, scope));
    case 'unary': {
      const value = evaluateNode(node.argument, scope);
      if (node.operator === '!') return !isTruthy(value);
      const number = toNumber(value);
      if (number === undefined) return null;
      return node.operator === '-' ? -number : number;
    }
    case 'logical': {
      const left = evaluateNode(node.left, scope);
      if (node.operator === '&&') return isTruthy(left) ? evaluateNode(node.right, scope) : left;
      return isTruthy(left) ? left : evaluateNode(node.right, scope);
    }
    case 'binary':
      return binary(node.operator, evaluateNode(node.left, scope), evaluateNode(node.right, scope));
    case 'conditional':
      return isTruthy(evaluateNode(node.test, scope))
        ? evaluateNode(node.consequent, scope)
        : evaluateNode(node.alternate, scope);
    case 'call': {
      const definition = Object.hasOwn(EXPRESSION_FUNCTIONS, node.name)
        ? EXPRESSION_FUNCTIONS[node.name]
        : undefined;
      if (!definition) throw new ExpressionError(`unknown function '${node.name}'`, '');
      return definition.call(node.args.map((arg) => evaluateNode(arg, scope)));
    }
  }
}
