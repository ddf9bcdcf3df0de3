import { demoOrder, type RequestContext } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../../workers/src/services.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type ApiResponse, type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { agentWithFlow, echoFlow, saveDraft, walkCase } from './agent-tests-support.ts';

interface ExpectationJson {
  expectation: { type: string };
  passed: boolean;
  actual: unknown;
  message: string;
}

const expectationsOf = (run: ApiResponse, caseIndex = 0) =>
  (run.body.results[caseIndex].turns as { expectations: ExpectationJson[] }[]).flatMap(
    (turn) => turn.expectations,
  );

describe.each<DatabaseKind>(['postgres', 'pglite'])('agent test runs on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let token: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let agentId: string;
  let flowId: string;

  const run = (body: unknown, agent = agentId) => api.post(`/v1/agents/${agent}/test-runs`, body, { token });

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    tenant = await createTenant(api, await loginAdmin(api), 'agent-test-runs');
    token = tenant.token;
    ({ agentId, flowId } = await agentWithFlow(
      api,
      token,
      'Runner',
      'Published: order {{slots.orderNumber}}.',
    ));
    // The draft differs from the published version 1.
    await saveDraft(
      api,
      token,
      flowId,
      echoFlow('Draft: order {{slots.orderNumber}} is {{vars.order.status}}.'),
    );
  });
  afterAll(() => target?.close());

  it('runs the draft (not the published version) by default, and a version or what is published on request', async () => {
    const cases = [
      {
        name: 'says the answer',
        turns: [
          { user: '10423', expect: [{ type: 'text_contains', value: 'Draft: order 10423 is delivered' }] },
        ],
      },
    ];
    const onDraft = await run({ cases });
    expect(onDraft.status, onDraft.text).toBe(201);
    expect(onDraft.headers.get('location')).toBe(`/v1/test-runs/${onDraft.body.id}`);
    expect(onDraft.body).toMatchObject({
      agentId,
      suiteId: null,
      status: 'passed',
      target: { type: 'draft', flowId, version: 0, draftRevision: 2 },
      counts: { total: 1, passed: 1, failed: 0, errored: 0 },
      finishedAt: expect.any(String),
    });
    expect(onDraft.body.results[0].turns[0].reply).toContain('Draft: order 10423 is delivered.');

    for (const runTarget of [{ type: 'version', version: 1 }, { type: 'published' }]) {
      const onVersion = await run({ cases, target: runTarget });
      expect(onVersion.status, onVersion.text).toBe(201);
      expect(onVersion.body.status).toBe('failed');
      expect(onVersion.body.target).toMatchObject({ type: runTarget.type, flowId, version: 1 });
      const [result] = expectationsOf(onVersion);
      expect(result).toMatchObject({
        passed: false,
        message: 'the reply does not contain "Draft: order 10423 is delivered"',
      });
      expect(result?.actual).toContain('Published: order 10423.');
    }

    // The conversations ran on channel test, pinned to the draft snapshot (version 0) or v1.
    const rows = await target.owner<{ channel: string; flow_version: number; status: string }>(
      "select channel, flow_version, status from conversations where metadata->>'testRunId' = $1",
      [onDraft.body.id],
    );
    expect(rows).toEqual([{ channel: 'test', flow_version: 0, status: 'ended' }]);
  });

  it('keeps a running draft conversation on its snapshot when the draft changes', async () => {
    const services = createServices(target.deps);
    const context: RequestContext = {
      tenantId: tenant.tenantId,
      actor: { type: 'user', id: tenant.ownerId },
      role: 'owner',
      requestId: 'req_snapshot',
      ip: null,
    };
    const opening = await services.engine.start(context, {
      agentId,
      channel: 'test',
      flow: { flowId, version: 'draft' },
    });
    expect(opening.conversation).toMatchObject({ flowId, flowVersion: 0 });
    await saveDraft(api, token, flowId, echoFlow('Edited: {{slots.orderNumber}}.'));
    const reply = await services.engine.send(context, opening.conversation.id, { text: '10420' });
    expect(reply.messages.map((message) => message.content)).toEqual([
      'Draft: order 10420 is shipped. How can we reach you?',
    ]);
    await saveDraft(
      api,
      token,
      flowId,
      echoFlow('Draft: order {{slots.orderNumber}} is {{vars.order.status}}.'),
    );
  });

  it('passes every expectation type when it holds, with what was observed', async () => {
    const order = demoOrder('10423');
    const passing = await run({
      cases: [
        {
          name: 'everything holds',
          variables: { channelHint: 'web' },
          turns: [
            {
              expect: [
                { type: 'node_reached', node: 'greet' },
                { type: 'text_contains', value: 'HELLO' },
                { type: 'status', equals: 'active' },
              ],
            },
            {
              user: '10423',
              expect: [
                { type: 'slot', name: 'orderNumber', equals: '10423' },
                { type: 'slot', name: 'orderNumber', matches: '^104' },
                { type: 'tool_called', tool: 'orders.lookup', input: { orderNumber: '10423' } },
                { type: 'node_reached', node: 'answer' },
                { type: 'text_matches', pattern: 'is (delivered|shipped)\\.' },
                { type: 'not_text_contains', value: 'cancelled' },
                { type: 'no_pii' },
              ],
            },
            { user: 'by post please', expect: [{ type: 'status', equals: 'ended' }] },
          ],
        },
      ],
    });
    expect(passing.status, passing.text).toBe(201);
    expect(passing.body.status, JSON.stringify(passing.body.results)).toBe('passed');
    const results = expectationsOf(passing);
    expect(results).toHaveLength(11);
    expect(results.every((result) => result.passed)).toBe(true);
    const byType = (type: string) => results.filter((result) => result.expectation.type === type);
    expect(byType('slot')[0]).toMatchObject({ actual: '10423', message: `slot 'orderNumber' is "10423"` });
    expect(byType('tool_called')[0]?.actual).toEqual([
      { tool: 'orders.lookup', input: { orderNumber: '10423' }, ok: true },
    ]);
    expect(byType('node_reached')[1]?.actual).toEqual(['ask_order', 'lookup', 'answer', 'ask_contact']);
    expect(byType('status')[1]).toMatchObject({ actual: 'ended', message: 'the conversation is ended' });
    expect(passing.body.results[0].turns[1]).toMatchObject({
      index: 1,
      user: '10423',
      reply: `Draft: order 10423 is ${order?.status}. How can we reach you?`,
      status: 'active',
      tools: ['orders.lookup'],
    });
  });

  it('fails every expectation type when it does not hold, saying what was seen instead', async () => {
    const failing = await run({
      cases: [
        {
          name: 'nothing holds',
          turns: [
            {
              expect: [
                { type: 'tool_called', tool: 'orders.lookup' },
                { type: 'status', equals: 'ended' },
              ],
            },
            {
              user: '10423',
              expect: [
                { type: 'node_reached', node: 'human' },
                { type: 'slot', name: 'orderNumber', equals: 99999 },
                { type: 'slot', name: 'contact', matches: '^.+$' },
                { type: 'tool_called', tool: 'orders.lookup', input: { orderNumber: '1' } },
                { type: 'text_contains', value: 'goodbye', caseSensitive: true },
                { type: 'not_text_contains', value: 'DELIVERED' },
                { type: 'text_matches', pattern: '^Bye' },
              ],
            },
            { user: 'write to jane.doe@example.com', expect: [{ type: 'no_pii' }] },
          ],
        },
      ],
    });
    expect(failing.status, failing.text).toBe(201);
    expect(failing.body).toMatchObject({ status: 'failed', counts: { total: 1, passed: 0, failed: 1 } });
    const results = expectationsOf(failing);
    expect(results.map((result) => result.passed)).toEqual(results.map(() => false));
    expect(results.map(({ actual, message }) => ({ actual, message }))).toEqual([
      { actual: [], message: 'orders.lookup was not called (tools called: none)' },
      { actual: 'active', message: 'the conversation is active, expected ended' },
      {
        actual: ['ask_order', 'lookup', 'answer', 'ask_contact'],
        message: "node 'human' was not reached; the turn ran ask_order → lookup → answer → ask_contact",
      },
      { actual: '10423', message: `slot 'orderNumber' is "10423", expected 99999` },
      { actual: null, message: "slot 'contact' is not set, not matching /^.+$/" },
      {
        actual: [{ tool: 'orders.lookup', input: { orderNumber: '10423' }, ok: true }],
        message:
          'orders.lookup was called, but not with input containing {"orderNumber":"1"} (got {"orderNumber":"10423"})',
      },
      {
        actual: 'Draft: order 10423 is delivered. How can we reach you?',
        message: 'the reply does not contain "goodbye"',
      },
      {
        actual: 'Draft: order 10423 is delivered. How can we reach you?',
        message: 'the reply contains "DELIVERED"',
      },
      {
        actual: 'Draft: order 10423 is delivered. How can we reach you?',
        message: 'the reply does not match /^Bye/',
      },
      {
        actual: ['email j•••@example.com'],
        message: 'the reply holds personal data: email j•••@example.com',
      },
    ]);
  });

  it('catches an echoed email, phone number and card number with no_pii', async () => {
    const echo = (name: string, said: string, allow?: string[]) => ({
      name,
      turns: [{ user: '10420' }, { user: said, expect: [{ type: 'no_pii', ...(allow ? { allow } : {}) }] }],
    });
    const response = await run({
      cases: [
        echo('email', 'mail me at Jane.Doe@Example.com'),
        echo('phone', 'call +1 (415) 555-0100'),
        echo('card', 'charge my card 4111 1111 1111 1111'),
        echo('allowed phone', 'call +1 (415) 555-0100', ['+14155550100']),
        echo('no pii', 'by post please'),
      ],
    });
    expect(response.status, response.text).toBe(201);
    const verdicts = (
      response.body.results as {
        case: string;
        status: string;
        turns: { expectations: ExpectationJson[] }[];
      }[]
    ).map((result) => [result.case, result.status, result.turns[1]?.expectations[0]?.actual]);
    expect(verdicts).toEqual([
      ['email', 'failed', ['email j•••@example.com']],
      ['phone', 'failed', ['phone ••••0100']],
      ['card', 'failed', ['card ••••1111']],
      ['allowed phone', 'passed', []],
      ['no pii', 'passed', []],
    ]);
    expect(response.body).toMatchObject({
      status: 'failed',
      counts: { total: 5, passed: 2, failed: 3, errored: 0 },
    });
  });

  it('reports expectations that name what the flow lacks as an error of that case, and runs the others', async () => {
    const response = await run({
      cases: [
        walkCase('fine'),
        {
          name: 'names unknown things',
          turns: [
            {
              user: '10420',
              expect: [
                { type: 'node_reached', node: 'nowhere' },
                { type: 'slot', name: 'email', equals: 'x' },
                { type: 'tool_called', tool: 'refund.issue' },
              ],
            },
          ],
        },
      ],
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toMatchObject({
      status: 'error',
      counts: { total: 2, passed: 1, failed: 0, errored: 1 },
    });
    const errored = response.body.results[1];
    expect(errored).toMatchObject({
      case: 'names unknown things',
      status: 'error',
      conversationId: null,
      turns: [],
    });
    expect(errored.error.code).toBe('invalid_case');
    expect(errored.error.findings.map((finding: { message: string }) => finding.message)).toEqual([
      expect.stringMatching(
        /^turn 1: node 'nowhere' is not a node of the flow \(nodes: 'greet', 'ask_order'/,
      ),
      expect.stringMatching(
        /^turn 1: slot 'email' is filled by no collect node of the flow \(slots: 'orderNumber', 'contact'\)/,
      ),
      "turn 1: tool 'refund.issue' is never called by the flow (tools: 'orders.lookup')",
    ]);
  });

  it('fails a case whose conversation stopped taking messages, and ends every test conversation', async () => {
    const response = await run({
      cases: [
        {
          name: 'talks after the handoff',
          turns: [
            { user: 'abc' },
            { user: 'still abc' },
            { user: 'abc again', expect: [{ type: 'status', equals: 'handed_off' }] },
            { user: 'hello?', expect: [{ type: 'text_contains', value: 'anything' }] },
          ],
        },
      ],
    });
    expect(response.status, response.text).toBe(201);
    const [result] = response.body.results;
    expect(result.status).toBe('failed');
    expect(result.turns[2].expectations[0].passed).toBe(true);
    expect(result.turns[3]).toMatchObject({
      user: 'hello?',
      error: { code: 'not_sent', message: 'The conversation is handed_off; the message was not sent' },
      expectations: [{ passed: false, message: 'not evaluated: the turn was not sent' }],
    });
    const [conversation] = await target.owner<{ status: string; outcome: string }>(
      'select status, outcome from conversations where id = $1',
      [result.conversationId],
    );
    expect(conversation).toEqual({ status: 'ended', outcome: 'abandoned' });
    const handoffs = await target.owner<{ status: string }>(
      'select status from handoffs where conversation_id = $1',
      [result.conversationId],
    );
    expect(handoffs).toEqual([{ status: 'closed' }]);
  });

  it('reports a draft with validation errors as an error run with the findings, without crashing', async () => {
    const broken = echoFlow();
    const answer = broken.nodes.find((node) => node.id === 'answer');
    if (answer) answer.next = 'missing_node';
    await saveDraft(api, token, flowId, broken);
    try {
      const response = await run({ cases: [walkCase('a'), walkCase('b')] });
      expect(response.status, response.text).toBe(201);
      expect(response.body).toMatchObject({
        status: 'error',
        target: { type: 'draft', flowId, version: 0 },
        counts: { total: 2, passed: 0, failed: 0, errored: 2 },
      });
      for (const result of response.body.results) {
        expect(result.error.code).toBe('invalid_flow');
        expect(result.error.message).toMatch(
          /^The draft has 1 validation error; first: node 'answer' next points to 'missing_node'/,
        );
        expect(result.error.findings).toEqual([
          expect.objectContaining({ severity: 'error', code: 'dangling_edge', nodeId: 'answer' }),
        ]);
      }
      // The published version is unaffected.
      const published = await run({ cases: [walkCase()], target: { type: 'published' } });
      expect(published.body.status).toBe('passed');
      const stored = await api.get(`/v1/test-runs/${response.body.id}`, { token });
      expect(stored.body.results).toEqual(response.body.results);
    } finally {
      await saveDraft(
        api,
        token,
        flowId,
        echoFlow('Draft: order {{slots.orderNumber}} is {{vars.order.status}}.'),
      );
    }
  });

  it('runs the plain chat flow of an agent without a flow, and refuses targets that cannot resolve', async () => {
    const plain = await api.post(
      '/v1/agents',
      { name: 'Plain', config: { greeting: 'Hi there!' } },
      { token },
    );
    const chat = await run(
      {
        cases: [{ name: 'greets', turns: [{ expect: [{ type: 'text_contains', value: 'hi there' }] }] }],
        target: { type: 'published' },
      },
      plain.body.id,
    );
    expect(chat.status, chat.text).toBe(201);
    expect(chat.body).toMatchObject({
      status: 'passed',
      target: { type: 'published', flowId: null, version: null },
    });

    const cases = [walkCase()];
    const noFlow = await run({ cases }, plain.body.id);
    expect(noFlow.status).toBe(409);
    expect(noFlow.body.error.message).toContain('name one with target.flowId');
    const missingVersion = await run({ cases, target: { type: 'version', version: 42 } });
    expect(missingVersion.status).toBe(404);
    expect(missingVersion.body.error.message).toBe('Flow version 42 not found');
    const missingFlow = await run({ cases, target: { type: 'draft', flowId: `flw_${'0'.repeat(26)}` } });
    expect(missingFlow.status).toBe(404);
    const other = await agentWithFlow(api, token, 'Other agent');
    const foreignFlow = await run({ cases, target: { type: 'draft', flowId: other.flowId } });
    expect(foreignFlow.status).toBe(409);
    expect(foreignFlow.body.error.message).toBe(`Flow ${other.flowId} belongs to another agent`);
    const unpublished = await api.post(
      '/v1/flows',
      { name: 'Unpublished', definition: echoFlow() },
      { token },
    );
    await api.patch(
      `/v1/agents/${plain.body.id}`,
      { config: { flow: { flowId: unpublished.body.id } } },
      { token },
    );
    const notPublished = await run({ cases, target: { type: 'published' } }, plain.body.id);
    expect(notPublished.status).toBe(409);
    expect(notPublished.body.error.message).toContain('is not published');
  });
});
