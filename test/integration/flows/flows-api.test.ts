import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin, memberToken } from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { orderFlow } from './support.ts';

type Finding = { severity: string; code: string; nodeId: string | null; message: string; path?: string };
const codes = (findings: Finding[]) => findings.map((finding) => `${finding.code}@${finding.nodeId}`);

describe.each<DatabaseKind>(['postgres', 'pglite'])('flows API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let other: Awaited<ReturnType<typeof createTenant>>;
  let agentId: string;
  let helperAgentId: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    const admin = await loginAdmin(api);
    owner = await createTenant(api, admin, 'flows-api');
    other = await createTenant(api, admin, 'flows-other');
    agentId = (await api.post('/v1/agents', { name: 'Support' }, { token: owner.token })).body.id;
    helperAgentId = (await api.post('/v1/agents', { name: 'Helper' }, { token: owner.token })).body.id;
    const intent = await api.post(
      `/v1/agents/${agentId}/intents`,
      { name: 'order_status', examples: ['where is my order'] },
      { token: owner.token },
    );
    expect(intent.status, intent.text).toBe(201);
  });
  afterAll(() => target?.close());

  const create = (body: Record<string, unknown>, token = owner.token) =>
    api.post('/v1/flows', body, { token });

  it('refuses a draft that does not match the schema, naming the node', async () => {
    const flow = orderFlow();
    (flow.nodes[2] as Record<string, unknown>).next = undefined;
    (flow.nodes[1] as Record<string, unknown>).valueType = 'colour';
    const response = await create({ name: 'Broken', definition: flow });
    expectError(response, 400, 'validation_failed');
    const findings: Finding[] = response.body.error.details.findings;
    expect(findings.every((finding) => finding.code === 'schema_invalid')).toBe(true);
    expect(findings.map((finding) => finding.nodeId).sort()).toEqual(['ask_order', 'lookup']);
    expect(response.body.error.message).toMatch(/node '(lookup|ask_order)'/);
  });

  it('saves a draft with semantic errors and returns the findings, each naming its node', async () => {
    const flow = orderFlow();
    Object.assign(flow.nodes[2] as object, { tool: 'orders.cancel', onError: 'nowhere' });
    Object.assign(flow.nodes[3] as object, { text: 'Order {{slots.orderNumber' });
    flow.nodes.push(
      {
        id: 'route',
        type: 'intent_router',
        routes: [{ intent: 'refund', next: 'done' }],
        fallback: 'done',
      } as never,
      { id: 'myself', type: 'delegate', agentId, saveAs: 'x', next: 'done' } as never,
      { id: 'nobody', type: 'delegate', agentId: fakeId('agt'), saveAs: 'y', next: 'done' } as never,
      { id: 'friend', type: 'delegate', agentId: helperAgentId, saveAs: 'z', next: 'done' } as never,
      {
        id: 'check',
        type: 'condition',
        branches: [{ when: 'slots.x ==', next: 'done' }],
        else: 'done',
      } as never,
    );
    const response = await create({ name: 'Semantic errors', agentId, definition: flow });
    expect(response.status, response.text).toBe(201);
    expect(response.body.valid).toBe(false);
    const found = codes(response.body.findings);
    for (const expected of [
      'unknown_tool@lookup',
      'dangling_edge@lookup',
      'bad_template@answer',
      'unknown_intent@route',
      'self_delegation@myself',
      'unknown_agent@nobody',
      'bad_expression@check',
      'unreachable_node@route',
    ]) {
      expect(found).toContain(expected);
    }
    expect(
      found.filter((item) => item.endsWith('@friend')).every((item) => item.startsWith('unreachable')),
    ).toBe(true);
    for (const finding of response.body.findings as Finding[]) {
      expect(finding.message).toContain(finding.nodeId ?? '');
    }

    const validated = await api.post(`/v1/flows/${response.body.id}/validate`, undefined, {
      token: owner.token,
    });
    expect(validated.status).toBe(200);
    expect(validated.body).toEqual({ valid: false, findings: response.body.findings });

    const publish = await api.post(`/v1/flows/${response.body.id}/publish`, {}, { token: owner.token });
    expectError(publish, 400, 'validation_failed');
    expect(codes(publish.body.error.details.findings)).toContain('unknown_tool@lookup');
    expect(
      (await api.get(`/v1/flows/${response.body.id}/versions`, { token: owner.token })).body.data,
    ).toEqual([]);
  });

  it('lists flows by agent and name, and refuses a duplicate name', async () => {
    const named = await create({ name: 'Lookup for listing', agentId, definition: orderFlow() });
    expect(named.status).toBe(201);
    expectError(await create({ name: 'Lookup for listing', definition: orderFlow() }), 409, 'conflict');
    const byAgent = await api.get(`/v1/flows?agentId=${agentId}&q=listing`, { token: owner.token });
    expect(byAgent.body.data.map((flow: { id: string }) => flow.id)).toEqual([named.body.id]);
    expect(byAgent.body.data[0].findings).toBeUndefined();
    expectError(await create({ name: 'Ghost agent', agentId: fakeId('agt'), definition: orderFlow() }), 400);
  });

  it('lets builders publish and viewers only read', async () => {
    const builder = await memberToken(api, owner.token, 'builder');
    const viewer = await memberToken(api, owner.token, 'viewer');
    const flow = await create({ name: 'Role check', definition: orderFlow() }, builder.token);
    expect(flow.status).toBe(201);
    const published = await api.post(`/v1/flows/${flow.body.id}/publish`, {}, { token: builder.token });
    expect(published.status).toBe(200);
    expect((await api.get(`/v1/flows/${flow.body.id}`, { token: viewer.token })).status).toBe(200);
    expectError(
      await api.post(`/v1/flows/${flow.body.id}/publish`, {}, { token: viewer.token }),
      403,
      'forbidden',
    );
    expectError(
      await api.patch(`/v1/flows/${flow.body.id}`, { name: 'x', draftRevision: 1 }, { token: viewer.token }),
      403,
      'forbidden',
    );
  });

  it("answers 404 for another tenant's flow on every route, and changes nothing", async () => {
    const flow = await create({ name: 'Private', definition: orderFlow() });
    await api.post(`/v1/flows/${flow.body.id}/publish`, {}, { token: owner.token });
    const id = flow.body.id;
    const token = other.token;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/flows/${id}`],
      ['PATCH', `/v1/flows/${id}`, { name: 'hijacked', draftRevision: 1 }],
      ['DELETE', `/v1/flows/${id}`],
      ['POST', `/v1/flows/${id}/validate`],
      ['POST', `/v1/flows/${id}/publish`, {}],
      ['POST', `/v1/flows/${id}/rollback`, { version: 1 }],
      ['GET', `/v1/flows/${id}/versions`],
      ['GET', `/v1/flows/${id}/versions/1`],
      ['GET', `/v1/flows/${id}/diff?from=1&to=draft`],
    ];
    for (const [method, path, body] of attempts) {
      expectError(await api.call(method, path, { token, body }), 404, 'not_found');
    }
    const listed = await api.get('/v1/flows?limit=100', { token });
    expect(listed.text).not.toContain(id);
    const mine = await api.get(`/v1/flows/${id}`, { token: owner.token });
    expect(mine.body).toMatchObject({ name: 'Private', draftRevision: 1, publishedVersion: 1 });
    // Another tenant's agent cannot own a flow here either.
    expectError(await create({ name: 'Foreign agent', agentId, definition: orderFlow() }, token), 400);
  });

  it('answers bad input with 4xx JSON errors, never 500', async () => {
    const flow = await create({ name: 'Inputs', definition: orderFlow() });
    const id = flow.body.id;
    const token = owner.token;
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 40; level += 1) deep = { nested: deep };
    const cases: [string, string, unknown, number][] = [
      ['GET', '/v1/flows/not-an-id', undefined, 400],
      ['GET', `/v1/flows/${fakeId('agt')}`, undefined, 404],
      ['GET', `/v1/flows/${fakeId('flw')}`, undefined, 404],
      ['POST', '/v1/flows', { name: 'x' }, 400],
      ['POST', '/v1/flows', { name: 'x', definition: 'start' }, 400],
      ['POST', '/v1/flows', { name: 'x', definition: [] }, 400],
      ['POST', '/v1/flows', { name: 'x', definition: { start: 'a', nodes: [] } }, 400],
      ['POST', '/v1/flows', { name: 'x', definition: deep }, 400],
      ['POST', '/v1/flows', { name: '', definition: orderFlow() }, 400],
      ['POST', '/v1/flows', { name: 'x', definition: orderFlow(), extra: 1 }, 400],
      ['PATCH', `/v1/flows/${id}`, { draftRevision: 1 }, 400],
      ['PATCH', `/v1/flows/${id}`, { name: 'y' }, 400],
      ['PATCH', `/v1/flows/${id}`, { definition: { start: 5 }, draftRevision: 1 }, 400],
      ['POST', `/v1/flows/${id}/rollback`, { version: 0 }, 400],
      ['POST', `/v1/flows/${id}/rollback`, { version: 'one' }, 400],
      ['POST', `/v1/flows/${id}/rollback`, {}, 400],
      ['POST', `/v1/flows/${id}/publish`, { note: 5 }, 400],
      ['POST', `/v1/flows/${id}/publish`, { note: 'x'.repeat(501) }, 400],
      ['GET', `/v1/flows/${id}/versions/0`, undefined, 400],
      ['GET', `/v1/flows/${id}/versions/abc`, undefined, 400],
      ['GET', `/v1/flows/${id}/versions/7`, undefined, 404],
      ['GET', `/v1/flows/${id}/versions?cursor=x`, undefined, 400],
      ['GET', `/v1/flows/${id}/diff`, undefined, 409],
      ['GET', `/v1/flows/${id}/diff?from=abc`, undefined, 400],
      ['GET', `/v1/flows/${id}/diff?from=-1`, undefined, 400],
      ['GET', `/v1/flows/${id}/diff?from=3&to=draft`, undefined, 404],
      ['POST', `/v1/flows/${id}/validate`, [], 400],
      ['POST', `/v1/flows/${id}/validate`, { unexpected: true }, 400],
      ['GET', `/v1/flows/${fakeId('flw')}/versions/abc`, undefined, 404],
      ['POST', '/v1/flows/generate', {}, 400],
      ['POST', '/v1/flows/generate', { description: 'x'.repeat(4001) }, 400],
      ['POST', '/v1/flows/generate', { description: 'order status', agentId: 'agt_x' }, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const response = await api.call(method, path, { token, body });
      expectError(response, status);
    }
    const rawText = await api.call('POST', `/v1/flows/${id}/publish`, {
      token,
      rawBody: 'publish please',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(rawText, 415, 'unsupported_media_type');
    const brokenJson = await api.call('POST', '/v1/flows', {
      token,
      rawBody: '{"name": "x", "definition": {',
      headers: { 'content-type': 'application/json' },
    });
    expectError(brokenJson, 400);
    expect((await api.get(`/v1/flows/${id}`, { token })).body.draftRevision).toBe(1);
  });
});
