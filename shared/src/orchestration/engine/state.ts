import { z } from 'zod';

/**
 * The engine's persisted state of one conversation (`conversations.state`), written after every step
 * under a compare-and-set on `state_revision`. It is everything needed to continue after a restart:
 * where the flow is (`cursor`), what it knows (`slots`, `vars`), what it waits for, and the turn in
 * progress (with its lease).
 */

const json = z.unknown();

const Waiting = z.discriminatedUnion('kind', [
  /** A collect or intent router needs the next user input. */
  z.object({ kind: z.literal('input'), nodeId: z.string() }),
  z.object({ kind: z.literal('approval'), nodeId: z.string(), approvalId: z.string() }),
  /** A delegate node waits for its child conversation. */
  z.object({ kind: z.literal('child'), nodeId: z.string(), conversationId: z.string() }),
  z.object({ kind: z.literal('handoff'), nodeId: z.string(), handoffId: z.string() }),
]);
/** What a conversation waits for between turns. */
export type Waiting = z.infer<typeof Waiting>;

const TurnInProgress = z.object({
  id: z.string(),
  kind: z.enum(['opening', 'inbound', 'resume']),
  startedAt: z.string(),
  /** Another engine instance may take the turn over after this (the owner is presumed dead). */
  leaseExpiresAt: z.string(),
  owner: z.string(),
});
/** The turn in progress and its lease. */
export type TurnInProgress = z.infer<typeof TurnInProgress>;

/** The schema of the persisted state. */
export const EngineState = z.object({
  version: z.literal(1),
  /** The node to execute next; null once the conversation is over. */
  cursor: z.string().nullable(),
  slots: z.record(z.string(), json),
  vars: z.record(z.string(), json),
  /** Collect attempts used, per node (reset when the node is left). */
  attempts: z.record(z.string(), z.number().int()),
  /** The latest inbound input; `consumed` once a collect or router has used it. */
  input: z.object({ text: z.string(), digits: z.string().nullable(), consumed: z.boolean() }).nullable(),
  /** The last tool or delegate result: the `result` root of expressions. */
  result: json,
  waiting: Waiting.nullable(),
  /** Agent ids from the root conversation down to this one (delegation loop detection). */
  stack: z.array(z.string()),
  turn: TurnInProgress.nullable(),
  /** The value an end node handed back (delegated conversations). */
  outcomeResult: json,
  usage: z.object({
    inputTokens: z.number(),
    outputTokens: z.number(),
    costUsd: z.number(),
    modelCalls: z.number().int(),
  }),
  /**
   * The flow definition of a conversation started on a flow's draft (`flowVersion` 0, test runs):
   * copied at start so later edits of the draft do not change a running conversation.
   */
  flowSnapshot: json.optional(),
});
export type EngineState = z.infer<typeof EngineState>;

/** The state of a new conversation at the flow's start node. */
export function initialState(options: {
  start: string;
  variables: Record<string, unknown>;
  stack: readonly string[];
  vars?: Record<string, unknown>;
}): EngineState {
  return {
    version: 1,
    cursor: options.start,
    slots: {},
    vars: { ...structuredClone(options.variables), ...(options.vars ?? {}) },
    attempts: {},
    input: null,
    result: null,
    waiting: null,
    stack: [...options.stack],
    turn: null,
    outcomeResult: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, modelCalls: 0 },
  };
}

/** Reads a stored state; a malformed one is a bug or tampering, reported as such. */
export function parseState(value: unknown): EngineState {
  const parsed = EngineState.safeParse(value);
  if (!parsed.success)
    throw new Error(`The conversation's engine state is malformed: ${parsed.error.message}`);
  return parsed.data;
}
