import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { TestCases } from '@lumay/shared';
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

/** Any well-formed prefixed id: another kind of id cannot name a suite, so it is a 404 (like flows). */
const suiteParam = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a test suite id (tsu_…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'tsu_01JD4X3Y5Z6A7B8C9D0E1F2G3H' }),
});
const agentParam = idParam('agt');

/**
 * Test cases in a request, validated by the shared schema (turns, expectations, safe patterns). Shared
 * schemas may be built before `@hono/zod-openapi` extends zod, so they are described, not `.openapi`-ed.
 */
export const TestCasesInput = TestCases.describe(
  'Test conversations: [{ name, variables?, metadata?, turns: [{ user?, digits?, expect?: [expectation] }] }]. ' +
    'Expectations: node_reached { node }, slot { name, equals | matches }, tool_called { tool, input? }, ' +
    'text_contains / not_text_contains { value, caseSensitive? }, text_matches { pattern, caseSensitive? }, ' +
    'no_pii { kinds?, allow? }, status { equals }. A first turn without user holds expectations on the opening.',
);

const SuiteSummary = z
  .object({
    id: z.string(),
    agentId: z.string(),
    name: z.string(),
    caseCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('TestSuiteSummary');

const SuiteSchema = SuiteSummary.extend({
  cases: z.array(z.record(z.string(), z.unknown())),
}).openapi('TestSuite');

const name = z.string().trim().min(1).max(200);

const CreateBody = z.strictObject({ name, cases: TestCasesInput }).openapi('CreateTestSuiteRequest');

const UpdateBody = z
  .strictObject({ name: name.optional(), cases: TestCasesInput.optional() })
  .refine((body) => body.name !== undefined || body.cases !== undefined, 'name or cases is required')
  .openapi('UpdateTestSuiteRequest');

const tags = ['agent tests'];

const list = createRoute({
  method: 'get',
  path: '/v1/agents/{id}/test-suites',
  tags,
  summary: "List an agent's test suites, newest first (without their cases)",
  security,
  request: { params: agentParam, query: PaginationQuery },
  responses: { 200: jsonResponse('Test suites', page(SuiteSummary)), ...standardErrors },
});

const create = createRoute({
  method: 'post',
  path: '/v1/agents/{id}/test-suites',
  tags,
  summary: 'Create a test suite for an agent (names are unique per agent)',
  security,
  request: { params: agentParam, ...jsonBody(CreateBody) },
  responses: { 201: jsonResponse('The suite', SuiteSchema), ...standardErrors },
});

const get = createRoute({
  method: 'get',
  path: '/v1/test-suites/{id}',
  tags,
  summary: 'Get a test suite with its cases',
  security,
  request: { params: suiteParam },
  responses: { 200: jsonResponse('The suite', SuiteSchema), ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/test-suites/{id}',
  tags,
  summary: 'Rename a test suite or replace its cases',
  security,
  request: { params: suiteParam, ...jsonBody(UpdateBody) },
  responses: { 200: jsonResponse('The suite', SuiteSchema), ...standardErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/test-suites/{id}',
  tags,
  summary: 'Delete a test suite (its runs are kept)',
  security,
  request: { params: suiteParam },
  responses: { 204: { description: 'Deleted' }, ...standardErrors },
});

/** Agent test suites: test conversations with expectations, stored per agent. */
export function registerTestSuiteRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(list, async (c) =>
    c.json(
      await c
        .get('services')
        .testSuites.list(requestContextOf(c), c.req.valid('param').id, c.req.valid('query')),
      200,
    ),
  );
  app.openapi(create, async (c) => {
    const suite = await c
      .get('services')
      .testSuites.create(requestContextOf(c), c.req.valid('param').id, c.req.valid('json'));
    c.header('Location', `/v1/test-suites/${suite.id}`);
    return c.json({ ...suite, cases: suite.cases ?? [] }, 201);
  });
  app.openapi(get, async (c) => {
    const suite = await c.get('services').testSuites.get(requestContextOf(c), c.req.valid('param').id);
    return c.json({ ...suite, cases: suite.cases ?? [] }, 200);
  });
  app.openapi(update, async (c) => {
    const suite = await c
      .get('services')
      .testSuites.update(requestContextOf(c), c.req.valid('param').id, c.req.valid('json'));
    return c.json({ ...suite, cases: suite.cases ?? [] }, 200);
  });
  app.openapi(remove, async (c) => {
    await c.get('services').testSuites.remove(requestContextOf(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
}
