import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import {
  type Client,
  client,
  createTenant,
  loginAdmin,
  loginDemoOwner,
  memberToken,
} from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { agentWithFlow, walkCase } from './agent-tests-support.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

describe.each<DatabaseKind>(['postgres', 'pglite'])('agent test suites and runs API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let owner: Tenant;
  let agentId: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    owner = await createTenant(api, adminToken, 'agent-tests-api');
    ({ agentId } = await agentWithFlow(api, owner.token, 'Suite owner'));
  });
  afterAll(() => target?.close());

  it('creates, lists, reads, renames, replaces and deletes a suite, audited', async () => {
    const token = owner.token;
    const created = await api.post(
      `/v1/agents/${agentId}/test-suites`,
      { name: 'Smoke', cases: [walkCase('one')] },
      { token },
    );
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^tsu_[0-9A-Z]{26}$/);
    expect(created.headers.get('location')).toBe(`/v1/test-suites/${id}`);
    expect(created.body).toMatchObject({ agentId, name: 'Smoke', caseCount: 1 });
    // Defaults are applied (a turn without expectations gets an empty list).
    expect(created.body.cases[0].turns[1].expect).toEqual([{ type: 'tool_called', tool: 'orders.lookup' }]);

    const duplicate = await api.post(
      `/v1/agents/${agentId}/test-suites`,
      { name: 'Smoke', cases: [walkCase()] },
      { token },
    );
    expectError(duplicate, 409, 'conflict');

    const second = await api.post(
      `/v1/agents/${agentId}/test-suites`,
      { name: 'Second', cases: [walkCase()] },
      { token },
    );
    const firstPage = await api.get(`/v1/agents/${agentId}/test-suites?limit=1`, { token });
    expect(firstPage.status).toBe(200);
    expect(firstPage.body.data).toEqual([expect.objectContaining({ id: second.body.id, caseCount: 1 })]);
    expect(firstPage.body.data[0].cases).toBeUndefined();
    const secondPage = await api.get(
      `/v1/agents/${agentId}/test-suites?limit=1&cursor=${firstPage.body.nextCursor}`,
      { token },
    );
    expect(secondPage.body).toEqual({ data: [expect.objectContaining({ id })], nextCursor: null });

    const renamed = await api.patch(`/v1/test-suites/${id}`, { name: 'Smoke tests' }, { token });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Smoke tests', caseCount: 1 });
    expectError(await api.patch(`/v1/test-suites/${id}`, { name: 'Second' }, { token }), 409, 'conflict');
    const replaced = await api.patch(
      `/v1/test-suites/${id}`,
      { cases: [walkCase('a'), walkCase('b')] },
      { token },
    );
    expect(replaced.body.cases.map((testCase: { name: string }) => testCase.name)).toEqual(['a', 'b']);
    const read = await api.get(`/v1/test-suites/${id}`, { token });
    expect(read.body).toEqual(replaced.body);

    const ran = await api.post(`/v1/agents/${agentId}/test-runs`, { suiteId: id }, { token });
    expect(ran.status, ran.text).toBe(201);
    expect(ran.body).toMatchObject({ suiteId: id, status: 'passed', counts: { total: 2, passed: 2 } });

    expect((await api.delete(`/v1/test-suites/${id}`, { token })).status).toBe(204);
    expectError(await api.get(`/v1/test-suites/${id}`, { token }), 404, 'not_found');
    expectError(await api.delete(`/v1/test-suites/${id}`, { token }), 404, 'not_found');
    // The run outlives its suite.
    expect((await api.get(`/v1/test-runs/${ran.body.id}`, { token })).body.suiteId).toBe(id);

    const audits = await target.owner<{ action: string }>(
      "select action from audit_log where resource_id in ($1, $2) and action like 'test_%' order by seq",
      [id, ran.body.id],
    );
    expect(audits.map((row) => row.action)).toEqual([
      'test_suite.create',
      'test_suite.update',
      'test_suite.update',
      'test_run.create',
      'test_suite.delete',
    ]);
    const verify = await api.get('/v1/audit/verify', { token });
    expect(verify.body.valid).toBe(true);
  });

  it('refuses invalid suites with 400 and names the problem', async () => {
    const token = owner.token;
    const post = (body: unknown) => api.post(`/v1/agents/${agentId}/test-suites`, body, { token });
    const invalid: [unknown, string, RegExp][] = [
      [{ name: 'x', cases: [] }, 'cases', /at least 1/i],
      [{ name: 'x', cases: [walkCase('same'), walkCase('same')] }, 'cases.1.name', /used twice/],
      [{ name: 'x', cases: [{ name: 'c', turns: [] }] }, 'cases.0.turns', /at least 1/i],
      [
        { name: 'x', cases: [{ name: 'c', turns: [{ user: 'a' }, { expect: [] }] }] },
        'cases.0.turns.1',
        /only the first turn may omit user/,
      ],
      [
        { name: 'x', cases: [{ name: 'c', turns: [{ user: 'a', expect: [{ type: 'telepathy' }] }] }] },
        'cases.0.turns.0.expect.0.type',
        /type must be node_reached, slot, tool_called/,
      ],
      [
        {
          name: 'x',
          cases: [
            { name: 'c', turns: [{ user: 'a', expect: [{ type: 'text_matches', pattern: '(a+)+$' }] }] },
          ],
        },
        'cases.0.turns.0.expect.0.pattern',
        /nested quantifiers/,
      ],
      [
        {
          name: 'x',
          cases: [{ name: 'c', turns: [{ user: 'a', expect: [{ type: 'slot', name: 'orderNumber' }] }] }],
        },
        'cases.0.turns.0.expect.0',
        /exactly one of equals and matches/,
      ],
      [
        {
          name: 'x',
          cases: [{ name: 'c', turns: [{ user: 'a', expect: [{ type: 'status', equals: 'sleeping' }] }] }],
        },
        'cases.0.turns.0.expect.0.equals',
        /./,
      ],
      [
        {
          name: 'x',
          cases: [
            { name: 'c', turns: [{ user: 'a', expect: [{ type: 'node_reached', node: 'a', extra: 1 }] }] },
          ],
        },
        'cases.0.turns.0.expect.0',
        /unrecognized/i,
      ],
      [
        {
          name: 'x',
          cases: [{ name: 'c', turns: [{ user: 'a', expect: [{ type: 'no_pii', kinds: ['dna'] }] }] }],
        },
        'cases.0.turns.0.expect.0.kinds.0',
        /./,
      ],
      [{ name: '', cases: [walkCase()] }, 'name', /./],
    ];
    for (const [body, path, message] of invalid) {
      const response = await post(body);
      expectError(response, 400, 'validation_failed');
      const issue = response.body.error.details.issues.find(
        (candidate: { path: string }) => candidate.path === path,
      );
      expect(issue, `${path}: ${response.text}`).toBeDefined();
      expect(issue.message).toMatch(message);
    }
    const deep = `{"name":"deep","cases":[{"name":"c","turns":[{"user":"a","expect":[{"type":"slot","name":"s","equals":${'['.repeat(40)}${']'.repeat(40)}}]}]}]}`;
    expectError(
      await api.post(`/v1/agents/${agentId}/test-suites`, undefined, {
        token,
        rawBody: deep,
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'validation_failed',
    );
    expectError(await post({ name: 'x', cases: [walkCase()], agentId }), 400, 'validation_failed');
    expectError(
      await api.post(
        `/v1/agents/${fakeId('agt')}/test-suites`,
        { name: 'x', cases: [walkCase()] },
        { token },
      ),
      404,
      'not_found',
    );
    expectError(await api.get(`/v1/agents/${fakeId('agt')}/test-suites`, { token }), 404, 'not_found');
    expectError(await api.patch(`/v1/test-suites/${fakeId('tsu')}`, {}, { token }), 400, 'validation_failed');
  });

  it('refuses invalid run requests with 4xx JSON errors', async () => {
    const token = owner.token;
    const post = (body: unknown) => api.post(`/v1/agents/${agentId}/test-runs`, body, { token });
    const both = await post({ suiteId: fakeId('tsu'), cases: [walkCase()] });
    expectError(both, 400, 'validation_failed');
    expect(both.body.error.message).toContain('give suiteId or cases (exactly one)');
    expectError(await post({}), 400, 'validation_failed');
    expectError(await post({ cases: [walkCase()], target: { type: 'tomorrow' } }), 400, 'validation_failed');
    expectError(
      await post({ cases: [walkCase()], target: { type: 'version', version: 0 } }),
      400,
      'validation_failed',
    );
    expectError(await post({ cases: [walkCase()], target: { type: 'published', flowId: 'x' } }), 400);
    expectError(await post({ suiteId: fakeId('tsu') }), 404, 'not_found');
    expectError(
      await api.post(`/v1/agents/${fakeId('agt')}/test-runs`, { cases: [walkCase()] }, { token }),
      404,
      'not_found',
    );
    expectError(await api.get(`/v1/test-runs/${fakeId('trn')}`, { token }), 404, 'not_found');
    expectError(await api.get(`/v1/agents/${fakeId('agt')}/test-runs`, { token }), 404, 'not_found');
    expectError(
      await api.get(`/v1/agents/${agentId}/test-runs?limit=0`, { token }),
      400,
      'validation_failed',
    );
    // A suite of another agent of the same tenant is not this agent's.
    const other = await agentWithFlow(api, token, 'Another suite owner');
    const suite = await api.post(
      `/v1/agents/${other.agentId}/test-suites`,
      { name: 'Theirs', cases: [walkCase()] },
      { token },
    );
    expectError(await post({ suiteId: suite.body.id }), 404, 'not_found');
  });

  it('lists runs newest first without results, and keeps test conversations out of the conversation list', async () => {
    const token = owner.token;
    const first = await api.post(`/v1/agents/${agentId}/test-runs`, { cases: [walkCase()] }, { token });
    const second = await api.post(`/v1/agents/${agentId}/test-runs`, { cases: [walkCase()] }, { token });
    const listed = await api.get(`/v1/agents/${agentId}/test-runs?limit=1`, { token });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: second.body.id, status: 'passed', counts: expect.any(Object) }),
    ]);
    expect(listed.body.data[0].results).toBeUndefined();
    const next = await api.get(`/v1/agents/${agentId}/test-runs?limit=1&cursor=${listed.body.nextCursor}`, {
      token,
    });
    expect(next.body.data[0].id).toBe(first.body.id);

    const conversationId = first.body.results[0].conversationId;
    const conversations = await api.get('/v1/conversations?limit=100', { token });
    expect(conversations.body.data.map((row: { id: string }) => row.id)).not.toContain(conversationId);
    const tests = await api.get('/v1/conversations?limit=100&channel=test', { token });
    const conversation = tests.body.data.find((row: { id: string }) => row.id === conversationId);
    expect(conversation).toMatchObject({
      channel: 'test',
      status: 'ended',
      metadata: { test: 'true', testRunId: first.body.id, testCase: 'walks the flow' },
    });
  });

  it('lets viewers read but not run or write, builders and builder keys do both', async () => {
    const viewer = (await memberToken(api, owner.token, 'viewer')).token;
    const operator = (await memberToken(api, owner.token, 'operator')).token;
    const builder = (await memberToken(api, owner.token, 'builder')).token;
    const key = await api.post('/v1/api-keys', { name: 'ci', role: 'builder' }, { token: owner.token });
    const suite = await api.post(
      `/v1/agents/${agentId}/test-suites`,
      { name: 'Permissions', cases: [walkCase()] },
      { token: builder },
    );
    expect(suite.status, suite.text).toBe(201);
    expect((await api.get(`/v1/test-suites/${suite.body.id}`, { token: viewer })).status).toBe(200);
    expect((await api.get(`/v1/agents/${agentId}/test-runs`, { token: viewer })).status).toBe(200);
    for (const token of [viewer, operator]) {
      const denied = await api.post(`/v1/agents/${agentId}/test-runs`, { suiteId: suite.body.id }, { token });
      expectError(denied, 403, 'forbidden');
      expect(denied.body.error.message).toContain('tests:run');
      expectError(
        await api.patch(`/v1/test-suites/${suite.body.id}`, { name: 'no' }, { token }),
        403,
        'forbidden',
      );
      expectError(await api.delete(`/v1/test-suites/${suite.body.id}`, { token }), 403, 'forbidden');
    }
    const byKey = await api.post(
      `/v1/agents/${agentId}/test-runs`,
      { suiteId: suite.body.id },
      { token: key.body.key },
    );
    expect(byKey.status, byKey.text).toBe(201);
    expect(byKey.body.createdBy).toBe(key.body.id);
  });

  it("answers 404 to another tenant's suites, runs and agent, as for a missing id", async () => {
    const suite = await api.post(
      `/v1/agents/${agentId}/test-suites`,
      { name: 'Private', cases: [walkCase()] },
      { token: owner.token },
    );
    const ran = await api.post(
      `/v1/agents/${agentId}/test-runs`,
      { suiteId: suite.body.id },
      { token: owner.token },
    );
    expect(ran.status).toBe(201);
    const intruder = await createTenant(api, adminToken, 'agent-tests-intruder');
    const { agentId: ownAgent } = await agentWithFlow(api, intruder.token, 'Intruder agent');
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/test-suites/${suite.body.id}`],
      ['PATCH', `/v1/test-suites/${suite.body.id}`, { name: 'mine now' }],
      ['DELETE', `/v1/test-suites/${suite.body.id}`],
      ['GET', `/v1/test-runs/${ran.body.id}`],
      ['GET', `/v1/agents/${agentId}/test-suites`],
      ['GET', `/v1/agents/${agentId}/test-runs`],
      ['POST', `/v1/agents/${agentId}/test-suites`, { name: 'x', cases: [walkCase()] }],
      ['POST', `/v1/agents/${agentId}/test-runs`, { cases: [walkCase()] }],
      ['POST', `/v1/agents/${ownAgent}/test-runs`, { suiteId: suite.body.id }],
    ];
    for (const [method, path, body] of attempts) {
      const response = await api.call(method, path, { token: intruder.token, body });
      expectError(response, 404, 'not_found');
    }
    expect((await api.get(`/v1/test-suites/${suite.body.id}`, { token: owner.token })).body.name).toBe(
      'Private',
    );
    const runs = await target.owner<{ count: string }>(
      'select count(*) from test_runs where tenant_id = $1',
      [intruder.tenantId],
    );
    expect(Number(runs[0]?.count)).toBe(0);
  });

  it('seeds a passing demo suite for the demo agent', async () => {
    const demoToken = await loginDemoOwner(api);
    const agents = await api.get('/v1/agents?q=Demo%20support', { token: demoToken });
    const demoAgent = agents.body.data[0].id as string;
    const suites = await api.get(`/v1/agents/${demoAgent}/test-suites`, { token: demoToken });
    expect(suites.body.data).toEqual([
      expect.objectContaining({ name: 'Demo support smoke tests', caseCount: 4 }),
    ]);
    const suite = await api.get(`/v1/test-suites/${suites.body.data[0].id}`, { token: demoToken });
    const types = new Set(
      suite.body.cases.flatMap((testCase: { turns: { expect: { type: string }[] }[] }) =>
        testCase.turns.flatMap((turn) => turn.expect.map((expectation) => expectation.type)),
      ),
    );
    expect([...types].sort()).toEqual([
      'no_pii',
      'node_reached',
      'not_text_contains',
      'slot',
      'status',
      'text_contains',
      'text_matches',
      'tool_called',
    ]);
    for (const runTarget of [{ type: 'draft' }, { type: 'published' }]) {
      const ran = await api.post(
        `/v1/agents/${demoAgent}/test-runs`,
        { suiteId: suite.body.id, target: runTarget },
        { token: demoToken },
      );
      expect(ran.status, ran.text).toBe(201);
      expect(ran.body.status, JSON.stringify(ran.body.results)).toBe('passed');
    }
  });
});
