export type { CaseFinding, FlowVocabulary } from './case-check.ts';
export { checkCase, vocabularyOf } from './case-check.ts';
export type { ExpectationResult, TurnObservation } from './evaluate.ts';
export { evaluateExpectation, evaluateTurn, jsonContains, jsonEqual } from './evaluate.ts';
export type { TestConversationStatus } from './model.ts';
export {
  Expectation,
  TEST_CONVERSATION_STATUSES,
  TEST_LIMITS,
  TestCase,
  TestCases,
  TestTarget,
  TestTurn,
} from './model.ts';
export type { CasePlan, CaseResult, CaseRunDeps, TurnReport } from './runner.ts';
export { runTestCase } from './runner.ts';
export type { TestRunDeps, TestRunInput, TestRunOptions, TestRunService } from './runs.ts';
export { createTestRunService } from './runs.ts';
export type { TestSuiteInput, TestSuiteService } from './suites.ts';
export { createTestSuiteService } from './suites.ts';
export type { ResolvedTargetRecord, RunTargetPlan } from './target.ts';
export { resolveRunTarget } from './target.ts';
export type { TestRunStatus, TestRunView, TestSuiteView } from './views.ts';
