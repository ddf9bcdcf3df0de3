import { isAppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import { TEST_CHANNEL } from '../conversations/index.ts';
import type { ConversationEngine, FlowOverride, TurnResult } from '../engine/index.ts';
import { type ExpectationResult, evaluateTurn } from './evaluate.ts';
import type { TestCase, TestConversationStatus, TestTurn } from './model.ts';
import { BEFORE_ALL_EVENTS, observeTurn, testStatusOf } from './observe.ts';

/** One turn of a case as reported: what was said, what came back, and the verdicts. */
export interface TurnReport {
  /** 0-based; turn 0 is the opening when the case's first turn has no user message. */
  index: number;
  user: string | null;
  digits?: string;
  reply: string;
  status: TestConversationStatus;
  nodes: string[];
  tools: string[];
  expectations: ExpectationResult[];
  /** The conversation failed in this turn, or the message could not be sent. */
  error?: { code: string; message: string };
}

/** The outcome of one case. */
export interface CaseResult {
  case: string;
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  /** The test conversation (channel `test`), to read its transcript. */
  conversationId: string | null;
  turns: TurnReport[];
  /** Why the case could not run to its end (`error` cases). */
  error?: { code: string; message: string; findings?: unknown[] };
}

/** What every case of a run shares. */
export interface CasePlan {
  readonly runId: string;
  readonly agentId: string;
  /** The flow to run instead of the agent's pin (undefined: what a new conversation gets). */
  readonly override: FlowOverride | undefined;
  /** No new turn starts after this time (ms since the epoch). */
  readonly deadline: number;
}

/** What a case needs: the database (to observe turns) and the engine. */
export interface CaseRunDeps {
  readonly db: Database;
  readonly engine: Pick<ConversationEngine, 'start' | 'send' | 'end'>;
}

/** Statuses in which the conversation takes no further message. */
const CLOSED: ReadonlySet<TestConversationStatus> = new Set([
  'ended',
  'failed',
  'handed_off',
  'awaiting_approval',
]);

class RunTimeout extends Error {}

/** A case that did not run: every case of a run on an invalid draft, or a case naming unknown nodes. */
export function erroredCase(
  name: string,
  error: { code: string; message: string; findings?: unknown[] },
): CaseResult {
  return { case: name, status: 'error', durationMs: 0, conversationId: null, turns: [], error };
}

function turnError(result: TurnResult): { code: string; message: string } | undefined {
  return result.status === 'failed' ? { code: result.error.code, message: result.error.message } : undefined;
}

/** A turn counts as failed when an expectation fails, or its conversation failed unexpectedly. */
function turnFailed(turn: TestTurn, report: TurnReport): boolean {
  if (report.expectations.some((result) => !result.passed)) return true;
  if (!report.error) return false;
  const expectsFailure = turn.expect.some(
    (expectation) => expectation.type === 'status' && expectation.equals === 'failed',
  );
  return report.error.code === 'not_sent' || !expectsFailure;
}

/**
 * Runs one case as a real conversation through the engine (channel `test`, marked in its metadata
 * with the run and the case), evaluating each turn's expectations after it. The conversation is
 * ended afterwards (abandoned) unless it already ended, so a test never leaves an open approval or
 * handoff behind. Engine refusals become an `error` case; they never escape.
 */
export async function runTestCase(
  deps: CaseRunDeps,
  context: RequestContext,
  plan: CasePlan,
  testCase: TestCase,
): Promise<CaseResult> {
  const startedAt = Date.now();
  const reports: TurnReport[] = [];
  const userTexts: string[] = [];
  let conversationId: string | null = null;
  let status: TestConversationStatus = 'active';
  let lastEventId = BEFORE_ALL_EVENTS;

  const record = async (index: number, turn: TestTurn | undefined, result: TurnResult) => {
    const observed = await observeTurn(deps.db, context, result, lastEventId, userTexts);
    lastEventId = observed.lastEventId;
    status = observed.observation.status;
    const error = turnError(result);
    const report: TurnReport = {
      index,
      user: turn?.user ?? null,
      ...(turn?.digits ? { digits: turn.digits } : {}),
      reply: observed.observation.reply,
      status,
      nodes: [...observed.observation.nodes],
      tools: observed.observation.toolCalls.map((call) => call.tool),
      expectations: evaluateTurn(turn?.expect ?? [], observed.observation),
      ...(error ? { error } : {}),
    };
    reports.push(report);
  };

  let outcome: CaseResult['error'];
  try {
    const [first] = testCase.turns;
    const opensWithExpectations =
      first !== undefined && first.user === undefined && first.digits === undefined;
    const opening = await deps.engine.start(context, {
      agentId: plan.agentId,
      channel: TEST_CHANNEL,
      metadata: {
        ...testCase.metadata,
        test: 'true',
        testRunId: plan.runId,
        testCase: testCase.name,
      },
      flow: plan.override,
      variables: testCase.variables,
    });
    conversationId = opening.conversation.id;
    if (opensWithExpectations) await record(0, first, opening);
    else {
      status = testStatusOf(opening.conversation.status);
      lastEventId = (await observeTurn(deps.db, context, opening, lastEventId, userTexts)).lastEventId;
    }
    for (let index = opensWithExpectations ? 1 : 0; index < testCase.turns.length; index += 1) {
      const turn = testCase.turns[index] as TestTurn;
      if (Date.now() >= plan.deadline) throw new RunTimeout();
      if (CLOSED.has(status)) {
        reports.push({
          index,
          user: turn.user ?? null,
          ...(turn.digits ? { digits: turn.digits } : {}),
          reply: '',
          status,
          nodes: [],
          tools: [],
          expectations: turn.expect.map((expectation) => ({
            expectation,
            passed: false,
            actual: null,
            message: 'not evaluated: the turn was not sent',
          })),
          error: { code: 'not_sent', message: `The conversation is ${status}; the message was not sent` },
        });
        break;
      }
      userTexts.push(turn.user ?? turn.digits ?? '');
      const result = await deps.engine.send(context, conversationId, {
        text: turn.user,
        digits: turn.digits,
      });
      await record(index, turn, result);
    }
  } catch (error) {
    if (error instanceof RunTimeout) {
      outcome = { code: 'run_timeout', message: 'The run reached its time limit before this case finished' };
    } else if (isAppError(error) && error.code !== 'internal_error' && error.code !== 'service_unavailable') {
      outcome = { code: error.code, message: error.message };
    } else {
      outcome = { code: 'internal_error', message: 'An unexpected error stopped the case' };
    }
  } finally {
    if (conversationId && status !== 'ended' && status !== 'failed') {
      await deps.engine.end(context, conversationId, 'abandoned').catch(() => undefined);
    }
  }
  const durationMs = Date.now() - startedAt;
  if (outcome)
    return {
      case: testCase.name,
      status: 'error',
      durationMs,
      conversationId,
      turns: reports,
      error: outcome,
    };
  const failed = reports.some((report) => {
    const turn = testCase.turns[report.index];
    return turn ? turnFailed(turn, report) : false;
  });
  return {
    case: testCase.name,
    status: failed ? 'failed' : 'passed',
    durationMs,
    conversationId,
    turns: reports,
  };
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
export async function mapLimited<Item, Result>(
  items: readonly Item[],
  limit: number,
  run: (item: Item, index: number) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await run(items[index] as Item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
