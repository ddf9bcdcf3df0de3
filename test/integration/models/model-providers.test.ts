import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import { startAnthropicServer } from '../../support/llm-servers/anthropic-server.ts';
import type { FixtureServer } from '../../support/llm-servers/fixture-server.ts';
import { startOpenAIServer } from '../../support/llm-servers/openai-server.ts';
import { expectError, fakeId } from '../security/error-shape.ts';

const OPENAI_KEY = 'sk-test-providers-5dXwRk2P9qTz';
const ANTHROPIC_KEY = 'sk-ant-test-providers-9a4d4e8b';

describe.each<DatabaseKind>(['postgres', 'pglite'])('model providers API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let openai: FixtureServer;
  let anthropic: FixtureServer;
  let compatible: FixtureServer;

  beforeAll(async () => {
    [openai, anthropic, compatible] = await Promise.all([
      startOpenAIServer({ apiKey: OPENAI_KEY }),
      startAnthropicServer({ apiKey: ANTHROPIC_KEY }),
      startOpenAIServer(),
    ]);
    target = await createAppTarget(kind);
    api = client(target);
    adminToken = await loginAdmin(api);
    owner = await createTenant(api, adminToken, 'providers');
  });
  afterAll(async () => {
    await target?.close();
    await Promise.all([openai?.close(), anthropic?.close(), compatible?.close()]);
  });

  it('creates, reads, lists, rotates and deletes a provider; the key is never returned or audited', async () => {
    const created = await api.post(
      '/v1/model-providers',
      {
        name: 'OpenAI prod',
        provider: 'openai',
        baseUrl: `${openai.baseUrl}/v1`,
        defaultModel: 'gpt-4o-mini',
        apiKey: OPENAI_KEY,
      },
      { token: owner.token },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^mpr_/),
      provider: 'openai',
      hasApiKey: true,
      apiKeyLastFour: OPENAI_KEY.slice(-4),
      settings: {},
    });
    expect(created.body).not.toHaveProperty('apiKey');
    expect(created.headers.get('location')).toBe(`/v1/model-providers/${created.body.id}`);
    const id = created.body.id as string;

    const fetched = await api.get(`/v1/model-providers/${id}`, { token: owner.token });
    expect(fetched.body).toEqual(created.body);
    const listed = await api.get('/v1/model-providers', { token: owner.token });
    expect(listed.body.data.map((item: { id: string }) => item.id)).toContain(id);

    const rotatedKey = 'sk-test-providers-rotated-WXYZ';
    const rotated = await api.patch(
      `/v1/model-providers/${id}`,
      { apiKey: rotatedKey, name: 'OpenAI' },
      { token: owner.token },
    );
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body).toMatchObject({ name: 'OpenAI', hasApiKey: true, apiKeyLastFour: 'WXYZ' });
    const [provider] = await target.owner<{ secret_id: string }>(
      'select secret_id from model_providers where id = $1',
      [id],
    );
    const [secret] = await target.owner<{ rotated_at: Date | null }>(
      'select rotated_at from secrets where id = $1',
      [provider?.secret_id],
    );
    expect(secret?.rotated_at).not.toBeNull();

    const withoutKey = await api.patch(`/v1/model-providers/${id}`, { apiKey: null }, { token: owner.token });
    expect(withoutKey.body).toMatchObject({ hasApiKey: false, apiKeyLastFour: null });
    expect(await target.owner('select id from secrets where id = $1', [provider?.secret_id])).toEqual([]);

    expect((await api.delete(`/v1/model-providers/${id}`, { token: owner.token })).status).toBe(204);
    expectError(await api.get(`/v1/model-providers/${id}`, { token: owner.token }), 404, 'not_found');

    const audit = await target.owner<{ action: string; before: unknown; after: unknown }>(
      'select action, before, after from audit_log where tenant_id = $1 order by seq',
      [owner.tenantId],
    );
    expect(audit.map((row) => row.action)).toEqual(
      expect.arrayContaining([
        'secret.create',
        'model_provider.create',
        'secret.rotate',
        'model_provider.update',
        'secret.delete',
        'model_provider.delete',
      ]),
    );
    const everything =
      JSON.stringify(audit) + JSON.stringify(await target.owner('select * from model_providers'));
    for (const key of [OPENAI_KEY, rotatedKey]) expect(everything).not.toContain(key);
  });

  it('tests each provider kind with a real call to its wire protocol and reports failures as results', async () => {
    const make = async (body: Record<string, unknown>) => {
      const response = await api.post('/v1/model-providers', body, { token: owner.token });
      expect(response.status, response.text).toBe(201);
      return response.body.id as string;
    };
    const cases = [
      {
        id: await make({
          name: 't-openai',
          provider: 'openai',
          baseUrl: `${openai.baseUrl}/v1`,
          defaultModel: 'gpt-4o-mini',
          apiKey: OPENAI_KEY,
        }),
        provider: 'openai',
      },
      {
        id: await make({
          name: 't-anthropic',
          provider: 'anthropic',
          baseUrl: anthropic.baseUrl,
          defaultModel: 'claude-sonnet-4-6',
          apiKey: ANTHROPIC_KEY,
        }),
        provider: 'anthropic',
      },
      {
        id: await make({
          name: 't-ollama',
          provider: 'openai-compatible',
          baseUrl: `${compatible.baseUrl}/v1`,
          defaultModel: 'llama3.1',
          settings: { providerName: 'ollama' },
        }),
        provider: 'ollama',
      },
      { id: await make({ name: 't-offline', provider: 'offline' }), provider: 'offline' },
    ];
    for (const item of cases) {
      const result = await api.post(`/v1/model-providers/${item.id}/test`, {}, { token: owner.token });
      expect(result.status, result.text).toBe(200);
      expect(result.body, item.provider).toMatchObject({
        ok: true,
        providerId: item.id,
        provider: item.provider,
      });
      expect(result.body.latencyMs).toBeGreaterThanOrEqual(0);
      expect(result.body.reply.length).toBeGreaterThan(0);
    }
    const sent = openai.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);

    // A wrong key: the vendor's 401 becomes a result, and the key never shows.
    const wrongKey = 'sk-wrong-key-000000000000';
    const wrong = await make({
      name: 't-wrong',
      provider: 'anthropic',
      baseUrl: anthropic.baseUrl,
      defaultModel: 'claude-sonnet-4-6',
      apiKey: wrongKey,
    });
    const failed = await api.post(`/v1/model-providers/${wrong}/test`, {}, { token: owner.token });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({
      ok: false,
      provider: 'anthropic',
      error: { kind: 'authentication', upstreamStatus: 401 },
    });
    expect(failed.text).not.toContain(wrongKey);

    // Test calls are real calls: their tokens and cost are recorded.
    const calls = await target.owner<{ provider: string; outcome: string }>(
      'select provider, outcome from model_calls where tenant_id = $1',
      [owner.tenantId],
    );
    expect(calls.map((row) => `${row.provider}:${row.outcome}`).sort()).toEqual(
      ['anthropic:error', 'anthropic:success', 'offline:success', 'ollama:success', 'openai:success'].sort(),
    );
  });

  it('validates provider shapes with 400 and duplicate names with 409', async () => {
    for (const body of [
      { name: 'x', provider: 'offline', apiKey: 'sk-nope' },
      { name: 'x', provider: 'offline', baseUrl: 'https://example.com/v1' },
      { name: 'x', provider: 'openai-compatible' },
      { name: 'x', provider: 'openai', defaultModel: 'gpt-4o' },
      { name: 'x', provider: 'openai', apiKey: 'sk-x', baseUrl: 'ftp://example.com/v1' },
      { name: 'x', provider: 'openai', apiKey: 'sk with spaces' },
      { name: 'x', provider: 'gemini', apiKey: 'sk-x' },
      { name: 'x', provider: 'openai', apiKey: 'sk-x', baseUrl: 'https://user:pw@example.com/v1' },
    ]) {
      expectError(
        await api.post('/v1/model-providers', body, { token: owner.token }),
        400,
        'validation_failed',
      );
    }
    const first = await api.post(
      '/v1/model-providers',
      { name: 'dup', provider: 'offline' },
      { token: owner.token },
    );
    expect(first.status).toBe(201);
    expectError(
      await api.post('/v1/model-providers', { name: 'dup', provider: 'offline' }, { token: owner.token }),
      409,
      'conflict',
    );
    expectError(
      await api.patch(`/v1/model-providers/${first.body.id}`, { apiKey: 'sk-x' }, { token: owner.token }),
      400,
    );
    expectError(
      await api.post(`/v1/model-providers/${first.body.id}/test`, { model: '' }, { token: owner.token }),
      400,
    );
  });

  it('keeps providers to their tenant and their keys to administrators', async () => {
    const mine = await api.post(
      '/v1/model-providers',
      { name: 'mine', provider: 'offline' },
      { token: owner.token },
    );
    const other = await createTenant(api, adminToken, 'providers-other');
    for (const [method, path, body] of [
      ['GET', `/v1/model-providers/${mine.body.id}`, undefined],
      ['PATCH', `/v1/model-providers/${mine.body.id}`, { name: 'stolen' }],
      ['DELETE', `/v1/model-providers/${mine.body.id}`, undefined],
      ['POST', `/v1/model-providers/${mine.body.id}/test`, {}],
    ] as const) {
      expectError(await api.call(method, path, { token: other.token, body }), 404, 'not_found');
      expectError(
        await api.call(method, path.replace(mine.body.id, fakeId('mpr')), { token: owner.token, body }),
        404,
      );
    }
    expect((await api.get('/v1/model-providers', { token: other.token })).body.data).toEqual([]);
    const builder = await memberToken(api, owner.token, 'builder');
    expect((await api.get(`/v1/model-providers/${mine.body.id}`, { token: builder.token })).status).toBe(200);
    expectError(
      await api.post('/v1/model-providers', { name: 'b', provider: 'offline' }, { token: builder.token }),
      403,
      'forbidden',
    );
    const viewer = await memberToken(api, owner.token, 'viewer');
    expectError(await api.get('/v1/model-providers', { token: viewer.token }), 403, 'forbidden');
    expectError(await api.get('/v1/model-providers'), 401, 'unauthorized');
  });

  it('refuses private endpoints where ALLOW_PRIVATE_MODEL_ENDPOINTS is off, at create and at call time', async () => {
    const edgeLike = buildApp({ ...target.deps, allowPrivateModelEndpoints: false });
    const edgeApi = client({ fetch: async (path, init) => edgeLike.request(path, init) });
    for (const baseUrl of [
      `${compatible.baseUrl}/v1`,
      'http://169.254.169.254/latest',
      'http://[::ffff:a9fe:a9fe]/v1',
      'http://2852039166/v1',
      'http://ollama.internal:11434/v1',
    ]) {
      const refused = await edgeApi.post(
        '/v1/model-providers',
        { name: `ssrf ${baseUrl}`, provider: 'openai-compatible', baseUrl },
        { token: owner.token },
      );
      expectError(refused, 400, 'validation_failed');
      expect(refused.body.error.message, baseUrl).toMatch(/not allowed/);
    }
    const requestsBefore = compatible.requests.length;
    // Stored on-prem (allowed there), then called through the edge-like app: refused before any request.
    const onPrem = await api.post(
      '/v1/model-providers',
      {
        name: 'on-prem llama',
        provider: 'openai-compatible',
        baseUrl: `${compatible.baseUrl}/v1`,
        defaultModel: 'llama3.1',
      },
      { token: owner.token },
    );
    expect(onPrem.status).toBe(201);
    expectError(
      await edgeApi.post(`/v1/model-providers/${onPrem.body.id}/test`, {}, { token: owner.token }),
      400,
      'validation_failed',
    );
    expect(compatible.requests.length).toBe(requestsBefore);
    const publicUrl = await edgeApi.post(
      '/v1/model-providers',
      { name: 'public gateway', provider: 'openai-compatible', baseUrl: 'https://gateway.example.com/v1' },
      { token: owner.token },
    );
    expect(publicUrl.status, publicUrl.text).toBe(201);
  });
});
