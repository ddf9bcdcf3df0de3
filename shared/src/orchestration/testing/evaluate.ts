import { detectPii, findEchoes, maskPii, type PiiMatch } from '../../governance/index.ts';
import { checkPattern, MAX_MATCH_INPUT_LENGTH, safeMatch } from '../flows/safe-pattern.ts';
import type { Expectation, TestConversationStatus } from './model.ts';

/** What a turn did, as the expectations see it. */
export interface TurnObservation {
  /** The assistant messages of the turn, joined by new lines. */
  readonly reply: string;
  /** The nodes of the target flow the turn executed, in order. */
  readonly nodes: readonly string[];
  /** The tools the turn called (its delegates' calls included). */
  readonly toolCalls: readonly { tool: string; input: Record<string, unknown>; ok: boolean }[];
  /** The conversation's slots after the turn. */
  readonly slots: Readonly<Record<string, unknown>>;
  readonly status: TestConversationStatus;
  /** Everything the user said in the case so far (this turn included), for the echo check. */
  readonly userTexts: readonly string[];
}

/** The verdict on one expectation. */
export interface ExpectationResult {
  expectation: Expectation;
  passed: boolean;
  /** What was observed (the value compared). */
  actual: unknown;
  message: string;
}

const MAX_SHOWN = 300;

/** A value quoted for a message, shortened. */
function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** Structural equality of JSON values (key order does not matter). */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => jsonEqual(item, right[index]));
  }
  const leftKeys = Object.keys(left);
  const rightRecord = right as Record<string, unknown>;
  return (
    leftKeys.length === Object.keys(right).length &&
    leftKeys.every(
      (key) => key in rightRecord && jsonEqual((left as Record<string, unknown>)[key], rightRecord[key]),
    )
  );
}

/**
 * Whether `actual` contains `expected`: every key of an expected object is present with a contained
 * value; arrays compare element by element (same length); other values compare equal.
 */
export function jsonContains(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return jsonEqual(actual, expected);
  if (typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => jsonContains(actual[index], item))
    );
  }
  if (Array.isArray(actual)) return false;
  const record = actual as Record<string, unknown>;
  return Object.entries(expected).every(([key, value]) => key in record && jsonContains(record[key], value));
}

/** A slot value as text, for `matches`. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** Tests a pattern that passed validation, case-insensitively on request; over-long input never matches. */
function patternMatches(pattern: string, input: string, caseSensitive: boolean): boolean {
  if (caseSensitive) return safeMatch(pattern, input);
  if (checkPattern(pattern) !== undefined || input.length > MAX_MATCH_INPUT_LENGTH) return false;
  return new RegExp(pattern, 'i').test(input);
}

const includes = (haystack: string, needle: string, caseSensitive: boolean) =>
  caseSensitive ? haystack.includes(needle) : haystack.toLowerCase().includes(needle.toLowerCase());

function piiFindings(
  expectation: Extract<Expectation, { type: 'no_pii' }>,
  observation: TurnObservation,
): string[] {
  const wanted = (match: Pick<PiiMatch, 'kind'>) =>
    !expectation.kinds || expectation.kinds.includes(match.kind);
  const allowed = new Set(
    (expectation.allow ?? []).flatMap((value) => detectPii(value).map((match) => match.normalized)),
  );
  const allowedText = (expectation.allow ?? []).map((value) => value.toLowerCase());
  const permitted = (match: PiiMatch) =>
    allowed.has(match.normalized) || allowedText.includes(match.value.toLowerCase());
  const found = detectPii(observation.reply).filter((match) => wanted(match) && !permitted(match));
  const said = observation.userTexts
    .flatMap((text) => detectPii(text))
    .filter((match) => wanted(match) && !permitted(match));
  const echoed = findEchoes(observation.reply, said).filter(
    (value) => !found.some((match) => match.normalized === value.normalized),
  );
  return [...new Set([...found, ...echoed].map((match) => maskPii(match)))];
}

/** Evaluates one expectation against what the turn did. */
export function evaluateExpectation(
  expectation: Expectation,
  observation: TurnObservation,
): ExpectationResult {
  const result = (passed: boolean, actual: unknown, message: string): ExpectationResult => ({
    expectation,
    passed,
    actual,
    message,
  });
  const reply = observation.reply;
  const shownReply = reply.length > 1000 ? `${reply.slice(0, 1000)}…` : reply;
  switch (expectation.type) {
    case 'node_reached': {
      const passed = observation.nodes.includes(expectation.node);
      const path = observation.nodes.length > 0 ? observation.nodes.join(' → ') : 'no node';
      return result(
        passed,
        observation.nodes,
        passed
          ? `reached node '${expectation.node}'`
          : `node '${expectation.node}' was not reached; the turn ran ${path}`,
      );
    }
    case 'slot': {
      const set = Object.hasOwn(observation.slots, expectation.name);
      const actual = set ? observation.slots[expectation.name] : null;
      const described = set
        ? `slot '${expectation.name}' is ${show(actual)}`
        : `slot '${expectation.name}' is not set`;
      if (expectation.matches !== undefined) {
        const passed = set && patternMatches(expectation.matches, asText(actual), true);
        return result(
          passed,
          actual,
          passed
            ? `${described}, matching /${expectation.matches}/`
            : `${described}, not matching /${expectation.matches}/`,
        );
      }
      const passed = jsonEqual(actual, expectation.equals ?? null);
      return result(
        passed,
        actual,
        passed ? described : `${described}, expected ${show(expectation.equals)}`,
      );
    }
    case 'tool_called': {
      const calls = observation.toolCalls.map((call) => ({
        tool: call.tool,
        input: call.input,
        ok: call.ok,
      }));
      const named = calls.filter((call) => call.tool === expectation.tool);
      const input = expectation.input;
      const passed = named.some((call) => input === undefined || jsonContains(call.input, input));
      if (passed) return result(true, calls, `called ${expectation.tool}`);
      if (named.length === 0) {
        const others = calls.length > 0 ? calls.map((call) => call.tool).join(', ') : 'none';
        return result(false, calls, `${expectation.tool} was not called (tools called: ${others})`);
      }
      return result(
        false,
        calls,
        `${expectation.tool} was called, but not with input containing ${show(input)} (got ${show(named[0]?.input)})`,
      );
    }
    case 'text_contains': {
      const passed = includes(reply, expectation.value, expectation.caseSensitive ?? false);
      return result(
        passed,
        shownReply,
        passed
          ? `the reply contains ${show(expectation.value)}`
          : `the reply does not contain ${show(expectation.value)}`,
      );
    }
    case 'not_text_contains': {
      const passed = !includes(reply, expectation.value, expectation.caseSensitive ?? false);
      return result(
        passed,
        shownReply,
        passed
          ? `the reply does not contain ${show(expectation.value)}`
          : `the reply contains ${show(expectation.value)}`,
      );
    }
    case 'text_matches': {
      const passed = patternMatches(expectation.pattern, reply, expectation.caseSensitive ?? true);
      return result(
        passed,
        shownReply,
        passed
          ? `the reply matches /${expectation.pattern}/`
          : `the reply does not match /${expectation.pattern}/`,
      );
    }
    case 'no_pii': {
      const findings = piiFindings(expectation, observation);
      return result(
        findings.length === 0,
        findings,
        findings.length === 0
          ? 'the reply holds no personal data'
          : `the reply holds personal data: ${findings.join(', ')}`,
      );
    }
    case 'status': {
      const passed = observation.status === expectation.equals;
      return result(
        passed,
        observation.status,
        passed
          ? `the conversation is ${expectation.equals}`
          : `the conversation is ${observation.status}, expected ${expectation.equals}`,
      );
    }
  }
}

/** Evaluates every expectation of a turn, in order. */
export function evaluateTurn(
  expectations: readonly Expectation[],
  observation: TurnObservation,
): ExpectationResult[] {
  return expectations.map((expectation) => evaluateExpectation(expectation, observation));
}
