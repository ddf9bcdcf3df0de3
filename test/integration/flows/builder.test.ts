import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import {
  type FixtureServer,
  type RecordedRequest,
  type RouteResult,
  startFixtureServer,
} from '../../support/llm-servers/fixture-server.ts';
import { expectError } from '../security/error-shape.ts';
import { orderFlow } from './support.ts';

const API_KEY = 'sk-test-flow-builder-7Hq2';

type Json = Record<string, unknown>;

/**
 * A local OpenAI-protocol server answering chat completions with a flow as structured output. It checks
 * what the API would (key, model, messages, a json_schema response format) and replies with `reply()`.
 */
function flowServer(reply: () => unknown): Promise<FixtureServer> {
  let counter = 0;
  const route = (request: RecordedRequest): RouteResult => {
    if (request.headers.authorization !== `Bearer ${API_KEY}`) {
      return {
        status: 401,
        body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } },
      };
    }
    const body = request.body as Json;
    const format = body.response_format as Json | undefined;
    const spec = format?.json_schema as Json | undefined;
    if (request.path !== '/v1/chat/completions' || format?.type !== 'json_schema' || !spec?.schema) {
      return {
        status: 400,
        body: { error: { message: 'expected a json_schema chat completion', type: 'invalid_request_error' } },
      };
    }
    counter += 1;
    return {
      status: 200,
      body: {
        id: `chatcmpl-flow-${counter}`,
        object: 'chat.completion',
        created: 1746178820,
        model: String(body.model),
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: JSON.stringify(reply()), refusal: null },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 900, completion_tokens: 250, total_tokens: 1150 },
      },
    };
  };
  return startFixtureServer({ fixturesDirectory: '.', route });
}

const nodeTypes = (draft: { nodes: { type: string }[] }) => new Set(draft.nodes.map((node) => node.type));

describe.each<DatabaseKind>(['postgres', 'pglite'])('natural-language flow builder on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let server: FixtureServer;
  let modelReply: unknown = orderFlow();
  let hostedAgentId: string;

  beforeAll(async () => {
    server = await flowServer(() => modelReply);
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'builder');
    const provider = await api.post(
      '/v1/model-providers',
      {
        name: 'Hosted',
        provider: 'openai',
        baseUrl: `${server.baseUrl}/v1`,
        defaultModel: 'gpt-4o-mini',
        apiKey: API_KEY,
      },
      { token: owner.token },
    );
    expect(provider.status, provider.text).toBe(201);
    const agent = await api.post(
      '/v1/agents',
      { name: 'Hosted agent', config: { llm: { providerId: provider.body.id } } },
      { token: owner.token },
    );
    hostedAgentId = agent.body.id;
  });
  afterAll(async () => {
    await target?.close();
    await server?.close();
  });

  const generate = (body: Record<string, unknown>) =>
    api.post('/v1/flows/generate', body, { token: owner.token });

  it.each([
    ['Let customers check their order status', ['collect', 'tool', 'message', 'end'], 'order_status'],
    ['Book appointments for the clinic and confirm them', ['collect', 'approval', 'message'], 'booking'],
    ['Handle refund requests with manager approval', ['collect', 'approval', 'tool'], 'refund'],
    ['Capture leads for the sales team', ['collect', 'tool'], 'lead_capture'],
    ['Answer FAQ questions from the knowledge base', ['llm', 'end'], 'faq'],
    ['Escalate to a human when asked', ['collect', 'handoff'], 'escalation'],
  ])('drafts "%s" offline from templates', async (description, kinds, template) => {
    const response = await generate({ description });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ source: 'templates', model: null, valid: true, flow: null });
    expect(response.body.templates).toContain(template);
    expect(
      response.body.findings.filter((finding: { severity: string }) => finding.severity === 'error'),
    ).toEqual([]);
    for (const nodeKind of kinds) expect(nodeTypes(response.body.draft)).toContain(nodeKind);
  });

  it('combines templates: greet, collect email, look up the order, hand off if angry', async () => {
    const response = await generate({
      description: 'Greet, collect email, look up the order, hand off if angry',
    });
    expect(response.body).toMatchObject({
      valid: true,
      findings: [],
      templates: ['mood_check', 'collect_fields', 'order_status'],
    });
    expect(response.body.draft.nodes.map((node: { id: string }) => node.id)).toEqual([
      'greet',
      'check_mood',
      'ask_email',
      'ask_orderNumber',
      'lookup_order',
      'order_status',
      'order_not_found',
      'done',
      'human',
    ]);
  });

  it('falls back to a minimal valid flow with a warning for unknown patterns', async () => {
    const response = await generate({ description: 'Write limericks about the weather' });
    expect(response.body.valid).toBe(true);
    expect([...nodeTypes(response.body.draft)].sort()).toEqual(['end', 'llm', 'message']);
    expect(response.body.findings).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'template_fallback', nodeId: 'assist' }),
    ]);
  });

  it('saves the draft as a new flow on request', async () => {
    const response = await generate({ description: 'Capture leads', name: 'Leads', save: true });
    expect(response.status, response.text).toBe(201);
    expect(response.headers.get('location')).toBe(`/v1/flows/${response.body.flow.id}`);
    const stored = await api.get(`/v1/flows/${response.body.flow.id}`, { token: owner.token });
    expect(stored.body).toMatchObject({ name: 'Leads', valid: true, draft: response.body.draft });
    expectError(await generate({ description: 'Capture leads', name: 'Leads', save: true }), 409, 'conflict');
  });

  it("uses the agent's hosted model to write the flow through structured output", async () => {
    modelReply = orderFlow();
    const before = server.requests.length;
    const response = await generate({ description: 'Look up orders by number', agentId: hostedAgentId });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({
      source: 'model',
      model: { provider: 'openai', modelId: 'gpt-4o-mini' },
      templates: [],
      agentId: hostedAgentId,
      valid: true,
      findings: [],
    });
    expect(response.body.draft.nodes.map((node: { id: string }) => node.id)).toEqual(
      orderFlow().nodes.map((node) => node.id),
    );
    const request = server.requests.at(-1)?.body as Json;
    expect(server.requests.length).toBe(before + 1);
    expect(JSON.stringify(request.messages)).toContain('Look up orders by number');
    expect((request.response_format as { json_schema: { name: string } }).json_schema.name).toBe(
      'flow_definition',
    );
    const costs = await target.owner(
      `select count(*)::int as n from model_calls where tenant_id = '${owner.tenantId}' and agent_id = '${hostedAgentId}'`,
    );
    expect(costs[0]?.n).toBeGreaterThanOrEqual(1);
  });

  it("validates the model's draft and reports its findings", async () => {
    const flow = orderFlow();
    Object.assign(flow.nodes[2] as object, { tool: 'orders.cancel' });
    modelReply = flow;
    const response = await generate({ description: 'Cancel orders', agentId: hostedAgentId, save: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ source: 'model', valid: false });
    expect(response.body.findings).toEqual([
      expect.objectContaining({ code: 'unknown_tool', nodeId: 'lookup' }),
    ]);
    expect(response.body.flow).toMatchObject({ valid: false, agentId: hostedAgentId });
  });

  it('falls back to the templates with a warning when the model answers with no valid flow', async () => {
    modelReply = { start: 'x', nodes: [{ id: 'x', type: 'teleport' }] };
    const before = server.requests.length;
    const response = await generate({ description: 'Check order status', agentId: hostedAgentId });
    expect(response.status, response.text).toBe(200);
    expect(server.requests.length).toBe(before + 2); // the first answer and the repair attempt
    expect(response.body).toMatchObject({ source: 'templates', templates: ['order_status'], valid: true });
    expect(response.body.findings).toEqual([
      expect.objectContaining({ code: 'model_unavailable', severity: 'warning' }),
    ]);
  });

  it('uses the offline builder for an agent without hosted models, and refuses an unknown agent', async () => {
    const offlineAgent = await api.post('/v1/agents', { name: 'Offline agent' }, { token: owner.token });
    const before = server.requests.length;
    const response = await generate({ description: 'Check order status', agentId: offlineAgent.body.id });
    expect(response.body).toMatchObject({ source: 'templates', agentId: offlineAgent.body.id, valid: true });
    expect(server.requests.length).toBe(before);
    const unknown = await generate({ description: 'Check order status', agentId: `agt_${'0'.repeat(26)}` });
    expectError(unknown, 400, 'validation_failed');
  });
});
