/**
 * Guarded regular expressions for flow authors (`matches(s, pattern)` and collect `regex` slots).
 *
 * JavaScript regexes backtrack, so a pattern such as `(a+)+$` can take exponential time on a short
 * hostile input. We cannot run patterns in a separate thread in a Worker, so we refuse the shapes that
 * cause catastrophic backtracking before compiling: a quantifier applied to a group that itself contains
 * a quantifier (`(a+)+`, `(\w*){2,}`), an unbounded quantifier applied to a group with alternation
 * (`(a|aa)*`), and backreferences (`\1`, `\k<name>`), which make matching NP-hard. Patterns and inputs
 * are length-limited as well.
 */

/** The longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 500;
/** Inputs longer than this are not matched (the match answers false). */
export const MAX_MATCH_INPUT_LENGTH = 10_000;

/** Why a pattern is refused, or `undefined` when it is acceptable. */
export function checkPattern(pattern: string, maxLength = MAX_PATTERN_LENGTH): string | undefined {
  if (pattern.length === 0) return 'pattern is empty';
  if (pattern.length > maxLength) return `pattern is longer than ${maxLength} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid pattern: ${error instanceof Error ? error.message : String(error)}`;
  }
  return checkStructure(pattern);
}

interface GroupState {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

function checkStructure(pattern: string): string | undefined {
  const stack: GroupState[] = [{ hasQuantifier: false, hasAlternation: false }];
  let lastClosedGroup: GroupState | undefined;
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index];
    const current = stack[stack.length - 1] as GroupState;
    if (char === '\\') {
      const next = pattern[index + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      lastClosedGroup = undefined;
      index += 2;
      continue;
    }
    if (char === '[') {
      index = skipClass(pattern, index);
      lastClosedGroup = undefined;
      continue;
    }
    if (char === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      lastClosedGroup = undefined;
      index += groupPrefixLength(pattern, index);
      continue;
    }
    if (char === ')') {
      const closed = stack.pop() as GroupState;
      const parent = stack[stack.length - 1] as GroupState;
      // A quantifier or alternation inside a child counts for the parent too: `((a+)b)+` is as bad.
      parent.hasQuantifier ||= closed.hasQuantifier;
      lastClosedGroup = closed;
      index += 1;
      continue;
    }
    if (char === '|') {
      current.hasAlternation = true;
      lastClosedGroup = undefined;
      index += 1;
      continue;
    }
    const quantifier = readQuantifier(pattern, index);
    if (quantifier) {
      // `(a+)?` is harmless: only a quantifier that repeats the group can multiply the ways to match.
      if (lastClosedGroup?.hasQuantifier && quantifier.repeats) {
        return 'nested quantifiers (e.g. (a+)+) are not allowed';
      }
      if (lastClosedGroup?.hasAlternation && quantifier.unbounded) {
        return 'repeating an alternation without a bound (e.g. (a|b)*) is not allowed';
      }
      current.hasQuantifier = true;
      lastClosedGroup = undefined;
      index = quantifier.end;
      continue;
    }
    lastClosedGroup = undefined;
    index += 1;
  }
  return undefined;
}

/** `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`: the `?` there is syntax, not a quantifier. */
function groupPrefixLength(pattern: string, start: number): number {
  if (pattern[start + 1] !== '?') return 1;
  const rest = pattern.slice(start);
  const match = /^\(\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(rest);
  return match ? match[0].length : 2;
}

function skipClass(pattern: string, start: number): number {
  let index = start + 1;
  while (index < pattern.length && pattern[index] !== ']') index += pattern[index] === '\\' ? 2 : 1;
  return index + 1;
}

interface Quantifier {
  end: number;
  /** No upper bound (`*`, `+`, `{n,}`). */
  unbounded: boolean;
  /** Can match its operand more than once. */
  repeats: boolean;
}

function readQuantifier(pattern: string, index: number): Quantifier | undefined {
  const char = pattern[index];
  let quantifier: Quantifier;
  if (char === '*' || char === '+') {
    quantifier = { end: index + 1, unbounded: true, repeats: true };
  } else if (char === '?') {
    quantifier = { end: index + 1, unbounded: false, repeats: false };
  } else if (char === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(index));
    if (!match) return undefined;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Number.POSITIVE_INFINITY : Number(match[3]);
    quantifier = {
      end: index + match[0].length,
      unbounded: max === Number.POSITIVE_INFINITY,
      repeats: max > 1,
    };
  } else {
    return undefined;
  }
  if (pattern[quantifier.end] === '?') quantifier.end += 1; // lazy modifier
  return quantifier;
}

const compiled = new Map<string, RegExp>();

/**
 * Compiles a pattern that passed {@link checkPattern} (throws a `SyntaxError`-like `Error` with the reason
 * otherwise). Compiled patterns are cached; the cache is bounded.
 */
export function compileSafePattern(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const problem = checkPattern(pattern);
  if (problem) throw new Error(problem);
  const regex = new RegExp(pattern);
  if (compiled.size >= 500) compiled.clear();
  compiled.set(pattern, regex);
  return regex;
}

/** Tests `input` against a guarded pattern; over-long inputs answer false rather than risk slow matching. */
export function safeMatch(pattern: string, input: string): boolean {
  if (input.length > MAX_MATCH_INPUT_LENGTH) return false;
  return compileSafePattern(pattern).test(input);
}
