import type { tables } from '../../platform/index.ts';
import type { TestCase } from './model.ts';
import type { CaseResult } from './runner.ts';
import type { ResolvedTargetRecord } from './target.ts';

type SuiteRow = typeof tables.testSuites.$inferSelect;
type RunRow = typeof tables.testRuns.$inferSelect;

/** A test suite as the API shows it. Lists leave `cases` out. */
export interface TestSuiteView {
  id: string;
  agentId: string;
  name: string;
  caseCount: number;
  cases?: TestCase[];
  createdAt: string;
  updatedAt: string;
}

/** The status of a run: `running` until it finishes; then `passed`, `failed` (a case failed) or `error`. */
export type TestRunStatus = RunRow['status'];

/** A test run as the API shows it. Lists leave `results` out. */
export interface TestRunView {
  id: string;
  agentId: string;
  suiteId: string | null;
  target: ResolvedTargetRecord;
  status: TestRunStatus;
  counts: { total: number; passed: number; failed: number; errored: number };
  results?: CaseResult[];
  createdBy: string | null;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export function toSuiteView(row: SuiteRow, withCases: boolean): TestSuiteView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    caseCount: row.cases.length,
    ...(withCases ? { cases: row.cases as TestCase[] } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function parseTarget(text: string): ResolvedTargetRecord {
  try {
    const value = JSON.parse(text) as ResolvedTargetRecord;
    if (typeof value === 'object' && value !== null && typeof value.type === 'string') return value;
  } catch {
    // Fall through: an unreadable target is shown as such rather than failing the read.
  }
  return { type: 'published', flowId: null, version: null };
}

/**
 * A stored run as the API shows it. A run still `running` long after its time limit was abandoned
 * (its process stopped): it is shown as `error`.
 */
export function toRunView(row: RunRow, withResults: boolean, staleAfterMs: number, now: Date): TestRunView {
  const results = row.results as CaseResult[];
  const stale = row.status === 'running' && now.getTime() - row.createdAt.getTime() > staleAfterMs;
  const total = results.length;
  return {
    id: row.id,
    agentId: row.agentId,
    suiteId: row.suiteId,
    target: parseTarget(row.target),
    status: stale ? 'error' : row.status,
    counts: {
      total,
      passed: row.passed,
      failed: row.failed,
      errored: Math.max(0, total - row.passed - row.failed),
    },
    ...(withResults ? { results } : {}),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    durationMs: row.finishedAt ? row.finishedAt.getTime() - row.createdAt.getTime() : null,
  };
}
