import { priceModelCall } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import { startAnthropicServer } from '../../support/llm-servers/anthropic-server.ts';
import type { FixtureServer } from '../../support/llm-servers/fixture-server.ts';
import { startOpenAIServer } from '../../support/llm-servers/openai-server.ts';
import { expectError, fakeId } from '../security/error-shape.ts';

const OPENAI_KEY = 'sk-test-switch-5dXwRk2P9qTz';
const ANTHROPIC_KEY = 'sk-ant-test-switch-9a4d4e8b';
const INSTRUCTIONS = "You are LuMay's order assistant.";
const QUESTION = { role: 'user', content: 'Hi, can you look up the status of order 42 for me?' };
const ORDER_INTENT = {
  type: 'object',
  properties: {
    intent: { type: 'string', enum: ['order_status', 'refund', 'cancel_order', 'other'] },
    orderId: { type: 'integer', description: 'The order number the customer mentions' },
  },
  required: ['intent', 'orderId'],
  additionalProperties: false,
};

describe.each<DatabaseKind>(['postgres', 'pglite'])(
  'one agent, four providers, by configuration alone on %s',
  (kind) => {
    let target: AppTarget;
    let api: Client;
    let owner: Awaited<ReturnType<typeof createTenant>>;
    let servers: FixtureServer[];
    const providers: Record<string, string> = {};
    let agentId: string;

    const reconfigure = async (llm: Record<string, unknown>) => {
      const response = await api.patch(
        `/v1/agents/${agentId}`,
        { config: { instructions: INSTRUCTIONS, llm } },
        { token: owner.token },
      );
      expect(response.status, response.text).toBe(200);
    };
    const complete = (body: Record<string, unknown>, token = owner.token) =>
      api.post(`/v1/agents/${agentId}/complete`, body, { token });

    beforeAll(async () => {
      const [openai, anthropic, compatible] = await Promise.all([
        startOpenAIServer({ apiKey: OPENAI_KEY }),
        startAnthropicServer({ apiKey: ANTHROPIC_KEY }),
        startOpenAIServer(),
      ]);
      servers = [openai, anthropic, compatible];
      target = await createAppTarget(kind);
      api = client(target);
      owner = await createTenant(api, await loginAdmin(api), 'switch');
      const create = async (body: Record<string, unknown>) => {
        const response = await api.post('/v1/model-providers', body, { token: owner.token });
        expect(response.status, response.text).toBe(201);
        return response.body.id as string;
      };
      providers.openai = await create({
        name: 'OpenAI',
        provider: 'openai',
        baseUrl: `${openai.baseUrl}/v1`,
        defaultModel: 'gpt-4o-mini',
        apiKey: OPENAI_KEY,
      });
      providers.anthropic = await create({
        name: 'Anthropic',
        provider: 'anthropic',
        baseUrl: anthropic.baseUrl,
        defaultModel: 'claude-sonnet-4-6',
        apiKey: ANTHROPIC_KEY,
      });
      providers.ollama = await create({
        name: 'On-prem llama',
        provider: 'openai-compatible',
        baseUrl: `${compatible.baseUrl}/v1`,
        defaultModel: 'llama3.1:8b',
        settings: { providerName: 'ollama' },
      });
      const agent = await api.post(
        '/v1/agents',
        { name: 'Orders', config: { instructions: INSTRUCTIONS, llm: { providerId: providers.openai } } },
        { token: owner.token },
      );
      expect(agent.status).toBe(201);
      agentId = agent.body.id;
    });
    afterAll(async () => {
      await target?.close();
      await Promise.all(servers.map((server) => server.close()));
    });

    it('answers through openai → anthropic → openai-compatible → offline, tagged, with the same structured result', async () => {
      const steps: [Record<string, unknown>, string, string | null][] = [
        [{ providerId: providers.openai }, 'openai', providers.openai ?? ''],
        [{ providerId: providers.anthropic }, 'anthropic', providers.anthropic ?? ''],
        [{ providerId: providers.ollama }, 'ollama', providers.ollama ?? ''],
        [{ provider: 'offline' }, 'offline', null],
      ];
      const objects: unknown[] = [];
      for (const [llm, provider, providerId] of steps) {
        await reconfigure(llm);
        const structured = await complete({
          messages: [QUESTION],
          responseSchema: ORDER_INTENT,
          schemaName: 'order_intent',
        });
        expect(structured.status, `${provider}: ${structured.text}`).toBe(200);
        expect(structured.body).toMatchObject({ agentId, provider, providerId, modelIndex: 0, attempts: 1 });
        objects.push(structured.body.object);

        const text = await complete({ messages: [QUESTION] });
        expect(text.status, text.text).toBe(200);
        expect(text.body).toMatchObject({ provider, providerId, finishReason: 'stop' });
        expect(text.body.text.length).toBeGreaterThan(0);
        expect(text.body).not.toHaveProperty('object');
      }
      expect(objects).toEqual(Array.from({ length: 4 }, () => ({ intent: 'order_status', orderId: 42 })));
      // The agent's instructions reached the vendor as the system prompt.
      const anthropicRequest = servers[1]?.requests.at(-1)?.body as { system?: unknown };
      expect(JSON.stringify(anthropicRequest.system)).toContain(INSTRUCTIONS);
    });

    it('prices every call from the table and summarises cost by model, agent and day', async () => {
      await reconfigure({ providerId: providers.openai });
      const reply = await complete({ messages: [QUESTION] });
      const expected = priceModelCall(
        'openai',
        reply.body.model,
        reply.body.usage.inputTokens,
        reply.body.usage.outputTokens,
      );
      expect(expected.priced).toBe(true);
      expect(reply.body.cost).toEqual({ usd: expected.costUsd, priceVersion: '2026-11-01', priced: true });

      const rows = await target.owner<{
        provider: string;
        model: string;
        cost_usd: string;
        price_version: string;
        agent_id: string;
      }>(
        'select provider, model, cost_usd, price_version, agent_id from model_calls where tenant_id = $1 order by id',
        [owner.tenantId],
      );
      expect(rows).toHaveLength(9);
      expect(new Set(rows.map((row) => row.agent_id))).toEqual(new Set([agentId]));
      expect(new Set(rows.map((row) => row.price_version))).toEqual(new Set(['2026-11-01']));
      const last = rows.at(-1);
      expect(Number(last?.cost_usd)).toBeCloseTo(expected.costUsd, 8);

      const byModel = await api.get('/v1/costs?groupBy=model', { token: owner.token });
      expect(byModel.status, byModel.text).toBe(200);
      const keys = byModel.body.groups.map((group: { key: string }) => group.key).sort();
      // Calls are recorded under the model the agent configured (what the price table is keyed by).
      expect(keys).toEqual([
        'anthropic/claude-sonnet-4-6',
        'offline/offline',
        'ollama/llama3.1:8b',
        'openai/gpt-4o-mini',
      ]);
      const sum = rows.reduce((total, row) => total + Number(row.cost_usd), 0);
      expect(byModel.body.totals.calls).toBe(9);
      expect(byModel.body.totals.costUsd).toBeCloseTo(sum, 8);
      expect(byModel.body.totals.costUsd).toBeGreaterThan(0);
      const offline = byModel.body.groups.find((group: { key: string }) => group.key === 'offline/offline');
      expect(offline).toMatchObject({ calls: 2, costUsd: 0 });
      // The on-prem model has no price: counted at 0 and flagged.
      expect(byModel.body.unpriced).toEqual({
        calls: 2,
        models: [{ provider: 'ollama', model: 'llama3.1:8b', priceVersion: '2026-11-01', calls: 2 }],
      });

      const byAgent = await api.get('/v1/costs?groupBy=agent', { token: owner.token });
      expect(byAgent.body.groups).toEqual([expect.objectContaining({ key: agentId, agentId, calls: 9 })]);
      const byDay = await api.get('/v1/costs?groupBy=day', { token: owner.token });
      expect(byDay.body.groups).toEqual([
        expect.objectContaining({ key: new Date().toISOString().slice(0, 10), calls: 9 }),
      ]);
      const past = await api.get('/v1/costs?from=2020-01-01&to=2020-02-01', { token: owner.token });
      expect(past.body.totals).toMatchObject({ calls: 0, costUsd: 0 });
      for (const query of [
        'from=2026-02-30',
        'from=2026-01-02&to=2026-01-01',
        'from=2020-01-01&to=2026-01-01',
        'groupBy=tenant',
        'x=1',
      ]) {
        expectError(await api.get(`/v1/costs?${query}`, { token: owner.token }), 400, 'validation_failed');
      }
    });

    it('falls back down the chain when the primary fails, recording the failed attempt', async () => {
      const broken = await api.post(
        '/v1/model-providers',
        {
          name: 'Broken',
          provider: 'openai',
          baseUrl: `${servers[0]?.baseUrl}/v1`,
          defaultModel: 'gpt-4o-mini',
          apiKey: 'sk-wrong-0000000000000000',
        },
        { token: owner.token },
      );
      await reconfigure({ providerId: broken.body.id, fallbacks: [{ provider: 'offline' }] });
      const reply = await complete({ messages: [QUESTION], responseSchema: ORDER_INTENT });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ provider: 'offline', providerId: null, modelIndex: 1, attempts: 2 });
      expect(reply.body.object).toEqual({ intent: 'order_status', orderId: 42 });
      const failed = await target.owner<{ outcome: string }>(
        "select outcome from model_calls where tenant_id = $1 and outcome <> 'success'",
        [owner.tenantId],
      );
      expect(failed).toEqual([{ outcome: 'error' }]);
    });

    it('answers 503 when every model fails, without echoing the key the vendor quoted', async () => {
      // The OpenAI fixture's 401 quotes the key it was sent ("Incorrect API key provided: sk-wrong.").
      const quoted = await api.post(
        '/v1/model-providers',
        {
          name: 'Quoted',
          provider: 'openai',
          baseUrl: `${servers[0]?.baseUrl}/v1`,
          defaultModel: 'gpt-4o-mini',
          apiKey: 'sk-wrong',
        },
        { token: owner.token },
      );
      await reconfigure({ providerId: quoted.body.id });
      const failed = await complete({ messages: [QUESTION] });
      expectError(failed, 503, 'service_unavailable');
      expect(failed.text).not.toContain('sk-wrong');
      expect(failed.body.error.message).toContain('[redacted]');
    });

    it('answers 409 for a deleted or unknown provider and 400 for unusable requests', async () => {
      const doomed = await api.post(
        '/v1/model-providers',
        { name: 'Doomed', provider: 'offline' },
        { token: owner.token },
      );
      await reconfigure({ providerId: doomed.body.id });
      expect((await complete({ messages: [QUESTION] })).status).toBe(200);
      expect((await api.delete(`/v1/model-providers/${doomed.body.id}`, { token: owner.token })).status).toBe(
        204,
      );
      const gone = await complete({ messages: [QUESTION] });
      expectError(gone, 409, 'conflict');
      expect(gone.body.error.details).toMatchObject({
        providerId: doomed.body.id,
        reason: 'provider_not_found',
      });

      await reconfigure({ providerId: fakeId('mpr') });
      expectError(await complete({ messages: [QUESTION] }), 409, 'conflict');
      await reconfigure({ provider: 'openai', apiKey: 'sk-inline-keys-are-refused' });
      const inline = await complete({ messages: [QUESTION] });
      expectError(inline, 409, 'conflict');
      expect(inline.text).not.toContain('sk-inline-keys-are-refused');

      await reconfigure({ provider: 'offline' });
      for (const body of [
        { messages: [] },
        { messages: [{ role: 'assistant', content: 'hello' }] },
        { messages: [{ role: 'system', content: 'x' }] },
        { messages: [QUESTION], responseSchema: { type: 'string' } },
        {
          messages: [QUESTION],
          responseSchema: { type: 'object', properties: { a: { type: 'string', pattern: '(a+)+$' } } },
        },
        {
          messages: [QUESTION],
          responseSchema: { type: 'object', properties: { a: { $ref: '#/nowhere' } } },
        },
        { messages: [QUESTION], schemaName: 'has spaces' },
      ]) {
        expectError(await complete(body), 400, 'validation_failed');
      }
    });

    it('keeps completions to callers who may converse, inside their tenant', async () => {
      const viewer = await memberToken(api, owner.token, 'viewer');
      expectError(await complete({ messages: [QUESTION] }, viewer.token), 403, 'forbidden');
      const operator = await memberToken(api, owner.token, 'operator');
      expect((await complete({ messages: [QUESTION] }, operator.token)).status).toBe(200);
      const other = await createTenant(api, await loginAdmin(api), 'switch-other');
      expectError(await complete({ messages: [QUESTION] }, other.token), 404, 'not_found');
      expectError(await api.get('/v1/costs', { token: operator.token }), 403, 'forbidden');
      const otherCosts = await api.get('/v1/costs', { token: other.token });
      expect(otherCosts.body.totals.calls).toBe(0);
    });
  },
);
