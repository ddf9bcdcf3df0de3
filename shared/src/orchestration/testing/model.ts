import { z } from 'zod';
import { PII_KINDS } from '../../governance/index.ts';
import { checkPattern } from '../flows/safe-pattern.ts';

/**
 * Agent test suites: test conversations a tenant defines for an agent (user turns plus expectations),
 * run against a flow's draft or a version. These schemas are the stored form and the API's input.
 */

/** Upper bounds that keep a synchronous run short. */
export const TEST_LIMITS = {
  casesPerSuite: 50,
  turnsPerCase: 30,
  expectationsPerTurn: 30,
} as const;

/** Conversation statuses a `status` expectation can name (`waiting_approval` reads `awaiting_approval`). */
export const TEST_CONVERSATION_STATUSES = [
  'active',
  'awaiting_approval',
  'delegated',
  'handed_off',
  'ended',
  'failed',
] as const;
export type TestConversationStatus = (typeof TEST_CONVERSATION_STATUSES)[number];

/**
 * Whether a JSON value nests at most `maxDepth` levels. Iterative: a value nested thousands deep
 * would overflow any recursive walk (canonical JSON, jsonb) and turn bad input into a 500.
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= maxDepth) return false;
    for (const child of Object.values(item.value)) pending.push({ value: child, depth: item.depth + 1 });
  }
  return true;
}

const shallowJson = z.unknown().refine((value) => jsonDepthWithin(value, 16), {
  message: 'values may nest at most 16 levels',
  abort: true,
});

const safePattern = z
  .string()
  .min(1)
  .max(500)
  .superRefine((pattern, context) => {
    const problem = checkPattern(pattern);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

const nodeId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'node ids start with a letter and use letters, digits, _ and -');
const slotName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'slot names use letters, digits and _');
const toolName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'tool names are namespaced, e.g. orders.lookup');
const text = z.string().min(1).max(1000);

/** One expectation on a turn. */
export const Expectation = z.discriminatedUnion(
  'type',
  [
    /** The turn executed this node of the target flow. */
    z.strictObject({ type: z.literal('node_reached'), node: nodeId }),
    /** After the turn, the slot equals a JSON value or (as text) matches a safe pattern. */
    z
      .strictObject({
        type: z.literal('slot'),
        name: slotName,
        equals: shallowJson.optional(),
        matches: safePattern.optional(),
      })
      .refine(
        (value) => (value.equals !== undefined) !== (value.matches !== undefined),
        'a slot expectation needs exactly one of equals and matches',
      ),
    /** The turn called the tool; `input` must be contained in the call's input (a partial match). */
    z.strictObject({
      type: z.literal('tool_called'),
      tool: toolName,
      input: z.record(z.string().min(1).max(64), shallowJson).optional(),
    }),
    /** The reply contains the text (case-insensitive unless `caseSensitive`). */
    z.strictObject({ type: z.literal('text_contains'), value: text, caseSensitive: z.boolean().optional() }),
    /** The reply does not contain the text. */
    z.strictObject({
      type: z.literal('not_text_contains'),
      value: text,
      caseSensitive: z.boolean().optional(),
    }),
    /** The reply matches a safe pattern (no nested quantifiers or backreferences); case-sensitive by default. */
    z.strictObject({
      type: z.literal('text_matches'),
      pattern: safePattern,
      caseSensitive: z.boolean().optional(),
    }),
    /**
     * The reply holds no email address, phone, card (Luhn) or SSN, and repeats none the user said.
     * `allow` lists values that may appear (e.g. the company's own support number); `kinds` narrows.
     */
    z.strictObject({
      type: z.literal('no_pii'),
      kinds: z.array(z.enum(PII_KINDS)).min(1).max(PII_KINDS.length).optional(),
      allow: z.array(z.string().min(1).max(200)).max(50).optional(),
    }),
    /** The conversation's status after the turn. */
    z.strictObject({ type: z.literal('status'), equals: z.enum(TEST_CONVERSATION_STATUSES) }),
  ],
  {
    error:
      'type must be node_reached, slot, tool_called, text_contains, not_text_contains, text_matches, no_pii or status',
  },
);
export type Expectation = z.infer<typeof Expectation>;

/** One turn: a user message (text or DTMF digits) and what must hold after it. */
export const TestTurn = z.strictObject({
  user: z.string().trim().min(1).max(4000).optional(),
  digits: z
    .string()
    .regex(/^[0-9*#]{1,32}$/, 'DTMF digits: 0-9, * and #')
    .optional(),
  expect: z.array(Expectation).max(TEST_LIMITS.expectationsPerTurn).default([]),
});
export type TestTurn = z.infer<typeof TestTurn>;

/**
 * One test conversation. The agent's opening runs first; a first turn without `user` or `digits`
 * holds expectations on that opening. Every later turn sends a message.
 */
export const TestCase = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    /** Initial `vars` of the conversation, over the flow's declared variables. */
    variables: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable names use letters, digits and _'),
        shallowJson,
      )
      .optional(),
    /** Extra conversation metadata (strings). */
    metadata: z
      .record(z.string().min(1).max(100), z.string().max(500))
      .refine((value) => Object.keys(value).length <= 20, 'metadata may hold at most 20 keys')
      .optional(),
    turns: z
      .array(TestTurn)
      .min(1, 'a case needs at least 1 turn')
      .max(TEST_LIMITS.turnsPerCase, `a case has at most ${TEST_LIMITS.turnsPerCase} turns`),
  })
  .superRefine((testCase, context) => {
    testCase.turns.forEach((turn, index) => {
      if (index > 0 && turn.user === undefined && turn.digits === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['turns', index],
          message: 'only the first turn may omit user and digits (it checks the opening)',
        });
      }
    });
  });
export type TestCase = z.infer<typeof TestCase>;

/** The cases of a suite: 1 to 50, with unique names. */
export const TestCases = z
  .array(TestCase)
  .min(1, 'at least 1 case is needed')
  .max(TEST_LIMITS.casesPerSuite, `at most ${TEST_LIMITS.casesPerSuite} cases`)
  .superRefine((cases, context) => {
    const seen = new Set<string>();
    cases.forEach((testCase, index) => {
      if (seen.has(testCase.name)) {
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `case name "${testCase.name}" is used twice`,
        });
      }
      seen.add(testCase.name);
    });
  });

/** What a run executes against. */
export const TestTarget = z.discriminatedUnion(
  'type',
  [
    /** The flow's current draft (default: the agent's flow, `config.flow`). */
    z.strictObject({
      type: z.literal('draft'),
      flowId: z
        .string()
        .regex(/^flw_[0-9A-HJKMNP-TV-Z]{26}$/)
        .optional(),
    }),
    /** A published version of the flow. */
    z.strictObject({
      type: z.literal('version'),
      version: z.number().int().min(1).max(9_999_999),
      flowId: z
        .string()
        .regex(/^flw_[0-9A-HJKMNP-TV-Z]{26}$/)
        .optional(),
    }),
    /** What a new conversation gets today (the published version; the plain chat flow without a flow). */
    z.strictObject({ type: z.literal('published') }),
  ],
  { error: 'target.type must be draft, version or published' },
);
export type TestTarget = z.infer<typeof TestTarget>;
