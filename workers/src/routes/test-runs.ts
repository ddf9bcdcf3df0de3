import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { TestTarget } from '@lumay/shared';
import { requestContextOf } from '../context.ts';
import type { AppEnv } from '../env.ts';
import {
  idParam,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  page,
  security,
  standardErrors,
} from '../schemas.ts';
import { TestCasesInput } from './test-suites.ts';

/** Any well-formed prefixed id: another kind of id cannot name a run, so it is a 404. */
const runParam = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a test run id (trn_…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'trn_01JD4X3Y5Z6A7B8C9D0E1F2G3H' }),
});
const agentParam = idParam('agt');

const TargetInput = TestTarget.describe(
  '{ type: "draft", flowId? } (the current draft, a snapshot taken at the start), { type: "version", version, flowId? } ' +
    'or { type: "published" } (what a new conversation gets). flowId defaults to the agent\'s flow (config.flow).',
);

const RunBody = z
  .strictObject({
    suiteId: z
      .string()
      .regex(/^tsu_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a test suite id (tsu_…)')
      .optional(),
    cases: TestCasesInput.optional(),
    target: TargetInput.default({ type: 'draft' }),
  })
  .refine((body) => (body.suiteId === undefined) !== (body.cases === undefined), {
    message: 'give suiteId or cases (exactly one)',
    path: ['suiteId'],
  })
  .openapi('CreateTestRunRequest');

const ExpectationResultSchema = z
  .object({
    expectation: z.record(z.string(), z.unknown()),
    passed: z.boolean(),
    actual: z.unknown(),
    message: z.string(),
  })
  .openapi('TestExpectationResult');

const TurnReportSchema = z
  .object({
    index: z.number().int(),
    user: z.string().nullable(),
    digits: z.string().optional(),
    reply: z.string(),
    status: z.string(),
    nodes: z.array(z.string()),
    tools: z.array(z.string()),
    expectations: z.array(ExpectationResultSchema),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('TestTurnReport');

const CaseResultSchema = z
  .object({
    case: z.string(),
    status: z.enum(['passed', 'failed', 'error']),
    durationMs: z.number(),
    conversationId: z.string().nullable(),
    turns: z.array(TurnReportSchema),
    error: z
      .object({ code: z.string(), message: z.string(), findings: z.array(z.unknown()).optional() })
      .optional(),
  })
  .openapi('TestCaseResult');

const RunSummary = z
  .object({
    id: z.string(),
    agentId: z.string(),
    suiteId: z.string().nullable(),
    target: z.object({
      type: z.enum(['draft', 'version', 'published']),
      flowId: z.string().nullable(),
      version: z.number().int().nullable().openapi({ description: '0 is a draft snapshot' }),
      draftRevision: z.number().int().optional(),
    }),
    status: z.enum(['running', 'passed', 'failed', 'error']),
    counts: z.object({
      total: z.number().int(),
      passed: z.number().int(),
      failed: z.number().int(),
      errored: z.number().int(),
    }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .openapi('TestRunSummary');

const RunSchema = RunSummary.extend({ results: z.array(CaseResultSchema) }).openapi('TestRun');

const tags = ['agent tests'];

const create = createRoute({
  method: 'post',
  path: '/v1/agents/{id}/test-runs',
  tags,
  summary: 'Run a test suite (or inline cases) against a draft, a version or what is published',
  description:
    'Runs synchronously and answers 201 with the finished run: `passed`, `failed` (a case failed) or `error` ' +
    '(a case could not run, e.g. the draft has validation errors, listed in the case results). Each case is a real ' +
    'conversation on channel `test`, ended when the case finishes.',
  security,
  request: { params: agentParam, ...jsonBody(RunBody) },
  responses: { 201: jsonResponse('The finished run', RunSchema), ...standardErrors },
});

const list = createRoute({
  method: 'get',
  path: '/v1/agents/{id}/test-runs',
  tags,
  summary: "List an agent's test runs, newest first (without per-case results)",
  security,
  request: { params: agentParam, query: PaginationQuery },
  responses: { 200: jsonResponse('Test runs', page(RunSummary)), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/test-runs/{id}',
  tags,
  summary: 'Get a test run with its per-case results',
  security,
  request: { params: runParam },
  responses: { 200: jsonResponse('The run', RunSchema), ...standardErrors },
});

/** Agent test runs: execute test cases through the conversation engine and report per case. */
export function registerTestRunRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const agentId = c.req.valid('param').id;
    const runs = c.get('services').testRuns;
    const context = requestContextOf(c);
    const run = body.cases
      ? await runs.run(context, agentId, { cases: body.cases, target: body.target })
      : await runs.run(context, agentId, { suiteId: body.suiteId ?? '', target: body.target });
    c.header('Location', `/v1/test-runs/${run.id}`);
    return c.json({ ...run, results: run.results ?? [] }, 201);
  });
  app.openapi(list, async (c) =>
    c.json(
      await c
        .get('services')
        .testRuns.list(requestContextOf(c), c.req.valid('param').id, c.req.valid('query')),
      200,
    ),
  );
  app.openapi(get, async (c) => {
    const run = await c.get('services').testRuns.get(requestContextOf(c), c.req.valid('param').id);
    return c.json({ ...run, results: run.results ?? [] }, 200);
  });
}
