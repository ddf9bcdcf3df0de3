import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import type { ConversationEngine } from '../engine/index.ts';
import { tenantScope } from '../flows/flow-records.ts';
import { checkCase, vocabularyOf } from './case-check.ts';
import { type TestCase, TestCases, type TestTarget } from './model.ts';
import { type CaseResult, erroredCase, mapLimited, runTestCase } from './runner.ts';
import { assertAgent, findSuite } from './suites.ts';
import { resolveRunTarget } from './target.ts';
import { type TestRunView, toRunView } from './views.ts';

/** What a run needs. */
export interface TestRunDeps {
  readonly db: Database;
  readonly engine: Pick<ConversationEngine, 'start' | 'send' | 'end'>;
  readonly agents: { get(context: RequestContext, agentId: string): Promise<AgentView> };
  /** The tool registry flows are validated against. */
  readonly tools: { has(name: string): boolean };
}

/** Limits of a run. */
export interface TestRunOptions {
  /** No case starts a new turn after this long (default 120 s); the rest report `run_timeout`. */
  readonly runTimeoutMs?: number;
  /** Cases run at the same time (default 2). */
  readonly concurrency?: number;
}

/** A run request: a stored suite, or cases inline; and the target. */
export type TestRunInput =
  | { suiteId: string; cases?: undefined; target: TestTarget }
  | { suiteId?: undefined; cases: TestCase[]; target: TestTarget };

/** A run still `running` this long after its time limit is shown as `error` (its process stopped). */
const ABANDONED_AFTER_MS = 60_000;

function runStatus(results: readonly CaseResult[]): 'passed' | 'failed' | 'error' {
  if (results.some((result) => result.status === 'error')) return 'error';
  return results.some((result) => result.status === 'failed') ? 'failed' : 'passed';
}

/**
 * Test runs: each case of a suite (or of inline cases) runs as a real conversation through the
 * engine against the agent's draft, a version, or what is published, and the run records per-case
 * results. Runs are synchronous, bounded by `runTimeoutMs`; the row is `running` meanwhile, then
 * `passed`, `failed` or `error` with its counts. Creating a run is audited (`test_run.create`).
 */
export function createTestRunService(deps: TestRunDeps, options: TestRunOptions = {}) {
  const { db } = deps;
  const runTimeoutMs = options.runTimeoutMs ?? 120_000;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const staleAfterMs = runTimeoutMs + ABANDONED_AFTER_MS;

  async function casesOf(context: RequestContext, agentId: string, input: TestRunInput) {
    if (input.cases) return { suiteId: null, cases: input.cases };
    const suiteId = input.suiteId;
    const suite = await db.withTenant(tenantScope(context), (tx) => findSuite(tx, suiteId));
    if (suite.agentId !== agentId) throw new AppError('not_found', 'Test suite not found');
    const parsed = TestCases.safeParse(suite.cases);
    if (!parsed.success)
      throw new AppError('conflict', 'The stored test suite is not valid; update its cases');
    return { suiteId: suite.id, cases: parsed.data };
  }

  async function finish(context: RequestContext, runId: string, results: CaseResult[]) {
    const [row] = await db.withTenant(tenantScope(context), (tx) =>
      tx
        .update(tables.testRuns)
        .set({
          status: runStatus(results),
          passed: results.filter((result) => result.status === 'passed').length,
          failed: results.filter((result) => result.status === 'failed').length,
          results,
          finishedAt: new Date(),
        })
        .where(eq(tables.testRuns.id, runId))
        .returning(),
    );
    if (!row) throw new AppError('not_found', 'Test run not found');
    return toRunView(row, true, staleAfterMs, new Date());
  }

  return {
    /** Runs the cases now and answers with the finished run. */
    async run(context: RequestContext, agentId: string, input: TestRunInput): Promise<TestRunView> {
      const agent = await deps.agents.get(context, agentId);
      if (agent.status === 'archived') throw new AppError('conflict', 'The agent is archived');
      const { suiteId, cases } = await casesOf(context, agentId, input);
      const plan = await resolveRunTarget(db, context, agent, input.target, deps.tools);
      const runId = newId('testRun');
      await db.withTenant(tenantScope(context), async (tx) => {
        await tx.insert(tables.testRuns).values({
          id: runId,
          tenantId: context.tenantId,
          agentId,
          suiteId,
          target: JSON.stringify(plan.record),
          status: 'running',
          createdBy: context.actor.id,
        });
        await appendAudit(tx, context, {
          action: 'test_run.create',
          resourceType: 'test_run',
          resourceId: runId,
          after: { agentId, suiteId, target: plan.record, cases: cases.length },
        });
      });

      const errors = plan.findings.filter((finding) => finding.severity === 'error');
      let results: CaseResult[];
      try {
        if (errors.length > 0) {
          const error = {
            code: 'invalid_flow',
            message: `The draft has ${errors.length} validation error${errors.length === 1 ? '' : 's'}; first: ${errors[0]?.message}`,
            findings: errors,
          };
          results = cases.map((testCase) => erroredCase(testCase.name, error));
        } else {
          const vocabulary = vocabularyOf(plan.definition);
          const casePlan = { runId, agentId, override: plan.override, deadline: Date.now() + runTimeoutMs };
          results = await mapLimited(cases, concurrency, async (testCase) => {
            const findings = checkCase(testCase, vocabulary, deps.tools);
            if (findings.length === 0) return runTestCase(deps, context, casePlan, testCase);
            return erroredCase(testCase.name, {
              code: 'invalid_case',
              message: findings.map((finding) => finding.message).join('; '),
              findings,
            });
          });
        }
      } catch (error) {
        await finish(context, runId, [
          erroredCase('(run)', { code: 'internal_error', message: 'The run stopped unexpectedly' }),
        ]).catch(() => undefined);
        throw error;
      }
      return finish(context, runId, results);
    },

    async list(
      context: RequestContext,
      agentId: string,
      page: { limit: number; cursor?: string | undefined },
    ) {
      return db.withTenant(tenantScope(context), async (tx) => {
        await assertAgent(tx, agentId);
        const rows = await tx
          .select()
          .from(tables.testRuns)
          .where(
            and(
              eq(tables.testRuns.agentId, agentId),
              page.cursor ? lt(tables.testRuns.id, page.cursor) : undefined,
            ),
          )
          .orderBy(desc(tables.testRuns.id))
          .limit(page.limit + 1);
        const items = rows.slice(0, page.limit);
        const now = new Date();
        return {
          data: items.map((row) => toRunView(row, false, staleAfterMs, now)),
          nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null,
        };
      });
    },

    async get(context: RequestContext, id: string): Promise<TestRunView> {
      return db.withTenant(tenantScope(context), async (tx) => {
        const [row] = await tx.select().from(tables.testRuns).where(eq(tables.testRuns.id, id));
        if (!row) throw new AppError('not_found', 'Test run not found');
        return toRunView(row, true, staleAfterMs, new Date());
      });
    },
  };
}

export type TestRunService = ReturnType<typeof createTestRunService>;
