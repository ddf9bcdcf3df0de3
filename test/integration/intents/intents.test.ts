import { readFile } from 'node:fs/promises';
import { parseLabelledSet } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import type { FixtureServer } from '../../support/llm-servers/fixture-server.ts';
import { startOpenAIServer } from '../../support/llm-servers/openai-server.ts';
import { expectError, fakeId } from '../security/error-shape.ts';

const OPENAI_KEY = 'sk-test-intents-5dXwRk2P9qTz';

/** The shipped benchmark, grouped into intents: the same data the eval command reads. */
async function benchmarkIntents(): Promise<{ name: string; examples: string[] }[]> {
  const items = parseLabelledSet(await readFile('bench/intents/support-sample.jsonl', 'utf8'), 'jsonl');
  const grouped = new Map<string, string[]>();
  for (const item of items) grouped.set(item.intent, [...(grouped.get(item.intent) ?? []), item.text]);
  return [...grouped].map(([name, examples]) => ({ name, examples }));
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('intents on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let openai: FixtureServer;
  let agentId: string;

  beforeAll(async () => {
    openai = await startOpenAIServer({ apiKey: OPENAI_KEY });
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'intents');
    const provider = await api.post(
      '/v1/model-providers',
      {
        name: 'OpenAI',
        provider: 'openai',
        baseUrl: `${openai.baseUrl}/v1`,
        defaultModel: 'gpt-4o-mini',
        apiKey: OPENAI_KEY,
      },
      { token: owner.token },
    );
    const agent = await api.post(
      '/v1/agents',
      { name: 'Support', config: { llm: { providerId: provider.body.id } } },
      { token: owner.token },
    );
    agentId = agent.body.id;
    for (const intent of await benchmarkIntents()) {
      const created = await api.post(`/v1/agents/${agentId}/intents`, intent, { token: owner.token });
      expect(created.status, created.text).toBe(201);
    }
  });
  afterAll(async () => {
    await target?.close();
    await openai?.close();
  });

  const classify = (text: string, extra: Record<string, unknown> = {}) =>
    api.post(`/v1/agents/${agentId}/intents/classify`, { text, ...extra }, { token: owner.token });

  it('creates, lists, updates and deletes intents, auditing each change', async () => {
    const created = await api.post(
      `/v1/agents/${agentId}/intents`,
      {
        name: 'store_hours',
        description: 'Opening times',
        examples: ['When do you open?', ' when do you open? ', 'Are you open on Sunday'],
      },
      { token: owner.token },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      agentId,
      name: 'store_hours',
      examples: ['When do you open?', 'Are you open on Sunday'],
    });
    const id = created.body.id as string;
    const listed = await api.get(`/v1/agents/${agentId}/intents`, { token: owner.token });
    expect(listed.body.data.map((intent: { name: string }) => intent.name)).toEqual([
      'billing',
      'cancel_order',
      'greeting',
      'order_status',
      'return_item',
      'store_hours',
      'talk_to_human',
    ]);
    const updated = await api.patch(
      `/v1/intents/${id}`,
      { examples: ['What are your opening hours?'] },
      { token: owner.token },
    );
    expect(updated.body.examples).toEqual(['What are your opening hours?']);
    expectError(
      await api.post(
        `/v1/agents/${agentId}/intents`,
        { name: 'store_hours', examples: [] },
        { token: owner.token },
      ),
      409,
      'conflict',
    );
    expect((await api.delete(`/v1/intents/${id}`, { token: owner.token })).status).toBe(204);
    expectError(await api.get(`/v1/intents/${id}`, { token: owner.token }), 404, 'not_found');
    const audit = await api.get(`/v1/audit?resourceId=${id}`, { token: owner.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual([
      'intent.delete',
      'intent.update',
      'intent.create',
    ]);
  });

  it('answers clear cases locally, with a calibrated confidence above the threshold', async () => {
    for (const [text, intent] of [
      ['Where is my order? It has not arrived', 'order_status'],
      ['I want to return these shoes and get a refund', 'return_item'],
      ['Please cancel my order', 'cancel_order'],
      ['Can I talk to a real person please', 'talk_to_human'],
      ['Hello there!', 'greeting'],
      ['I was charged twice on my card', 'billing'],
    ] as const) {
      const response = await classify(text);
      expect(response.status, response.text).toBe(200);
      expect(response.body, text).toMatchObject({ intent, source: 'local' });
      expect(response.body.confidence, text).toBeGreaterThanOrEqual(0.7);
    }
    expect(openai.requests).toHaveLength(0);
  });

  it("falls through to the agent's LLM when the local classifier is unsure", async () => {
    const response = await classify('I have a question about something I bought recently');
    expect(response.status, response.text).toBe(200);
    expect(response.body.local.confidence).toBeLessThan(0.7);
    // The local OpenAI-protocol server answers the structured intent.
    expect(response.body).toMatchObject({ intent: 'order_status', source: 'llm', confidence: null });
    const request = openai.requests.at(-1)?.body as {
      response_format: { json_schema: { schema: { properties: { intent: { enum: string[] } } } } };
    };
    expect(request.response_format.json_schema.schema.properties.intent.enum).toEqual([
      'billing',
      'cancel_order',
      'greeting',
      'order_status',
      'return_item',
      'talk_to_human',
      'none',
    ]);
    const calls = await target.owner<{ provider: string; agent_id: string }>(
      'select provider, agent_id from model_calls where tenant_id = $1',
      [owner.tenantId],
    );
    expect(calls).toEqual([{ provider: 'openai', agent_id: agentId }]);

    // A clear case also goes to the LLM when the caller demands more certainty than is possible.
    expect((await classify('Please cancel my order', { threshold: 1 })).body.source).toBe('llm');
    // An agent's own threshold applies too.
    await api.patch(
      `/v1/agents/${agentId}`,
      { config: { llm: { provider: 'offline' }, intents: { threshold: 0.01 } } },
      { token: owner.token },
    );
    expect((await classify('I have a question about something I bought recently')).body.source).toBe('local');
  });

  it('validates input and keeps intents inside their tenant', async () => {
    for (const body of [
      { name: 'Bad Name', examples: [] },
      { name: 'none', examples: [] },
      { name: 'ok', examples: 'not a list' },
      { name: 'ok', examples: ['x'.repeat(501)] },
    ]) {
      expectError(
        await api.post(`/v1/agents/${agentId}/intents`, body, { token: owner.token }),
        400,
        'validation_failed',
      );
    }
    expectError(await classify(''), 400, 'validation_failed');
    expectError(await classify('x', { threshold: 2 }), 400, 'validation_failed');
    expectError(
      await api.get(`/v1/agents/${fakeId('agt')}/intents`, { token: owner.token }),
      404,
      'not_found',
    );

    const [intent] = (await api.get(`/v1/agents/${agentId}/intents`, { token: owner.token })).body.data;
    const other = await createTenant(api, await loginAdmin(api), 'intents-other');
    expectError(await api.get(`/v1/agents/${agentId}/intents`, { token: other.token }), 404, 'not_found');
    expectError(await api.get(`/v1/intents/${intent.id}`, { token: other.token }), 404, 'not_found');
    expectError(
      await api.patch(`/v1/intents/${intent.id}`, { name: 'stolen' }, { token: other.token }),
      404,
      'not_found',
    );
    expectError(
      await api.post(`/v1/agents/${agentId}/intents/classify`, { text: 'hi' }, { token: other.token }),
      404,
    );
    const viewer = await memberToken(api, owner.token, 'viewer');
    expect((await api.get(`/v1/agents/${agentId}/intents`, { token: viewer.token })).status).toBe(200);
    expectError(
      await api.post(`/v1/agents/${agentId}/intents`, { name: 'v', examples: [] }, { token: viewer.token }),
      403,
    );
    expectError(
      await api.post(`/v1/agents/${agentId}/intents/classify`, { text: 'hi' }, { token: viewer.token }),
      403,
    );
  });
});
