import { newId } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../workers/src/app.ts';
import { ROUTE_PERMISSIONS } from '../../../workers/src/permissions.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import {
  type ApiResponse,
  type Client,
  client,
  createTenant,
  loginAdmin,
  memberToken,
} from '../../support/client.ts';
import { expectClientError, expectError, fakeId } from './error-shape.ts';

const BODY_LIMIT = 4096;

interface BodySpec {
  /** A body the route accepts (only ever sent with a defect added, so nothing is created). */
  valid: () => Record<string, unknown>;
  /** Known fields with the wrong JSON types. */
  wrongTypes: Record<string, unknown>;
}

/** Every route that takes a JSON body; the first test fails when a new one is not listed here. */
const BODY_ROUTES: Record<string, BodySpec> = {
  'POST /v1/auth/login': {
    valid: () => ({ email: 'nobody@test.lumay', password: 'irrelevant-password' }),
    wrongTypes: { email: 42, password: ['x'] },
  },
  'POST /v1/auth/refresh': { valid: () => ({ refreshToken: 'lmr_x' }), wrongTypes: { refreshToken: 1 } },
  'POST /v1/auth/logout': { valid: () => ({ refreshToken: 'lmr_x' }), wrongTypes: { refreshToken: {} } },
  'POST /v1/tenants': {
    valid: () => ({ name: 'Never', owner: { email: 'never@test.lumay' } }),
    wrongTypes: { name: 7, owner: 'me' },
  },
  'PATCH /v1/tenant': { valid: () => ({ name: 'Never' }), wrongTypes: { name: false } },
  'POST /v1/members': {
    valid: () => ({ email: 'never@test.lumay', role: 'viewer' }),
    wrongTypes: { email: true, role: 3 },
  },
  'PATCH /v1/members/:userId': { valid: () => ({ role: 'viewer' }), wrongTypes: { role: ['owner'] } },
  'POST /v1/api-keys': {
    valid: () => ({ name: 'never', role: 'viewer' }),
    wrongTypes: { name: 1, role: null },
  },
  'POST /v1/agents': {
    valid: () => ({ name: 'never' }),
    wrongTypes: { name: 123, config: 'x', metadata: [] },
  },
  'PATCH /v1/agents/:id': {
    valid: () => ({ name: 'never' }),
    wrongTypes: { name: {}, status: 1, expectedVersion: '1' },
  },
  'POST /v1/conversations': {
    valid: () => ({ agentId: fakeId('agt') }),
    wrongTypes: { agentId: 1, channel: 2, metadata: 'x' },
  },
  'POST /v1/conversations/:id/messages': {
    valid: () => ({ text: 'never' }),
    wrongTypes: { text: 1, digits: 2, clientMessageId: {} },
  },
  'POST /v1/conversations/:id/end': { valid: () => ({}), wrongTypes: { outcome: 1 } },
  'POST /v1/approvals/:id/approve': { valid: () => ({}), wrongTypes: { data: 'x', note: 1 } },
  'POST /v1/approvals/:id/reject': { valid: () => ({}), wrongTypes: { note: 1 } },
  'POST /v1/handoffs/:id/accept': { valid: () => ({}), wrongTypes: { note: 1 } },
  'POST /v1/handoffs/:id/close': { valid: () => ({}), wrongTypes: { note: 1 } },
  'POST /v1/flows': {
    valid: () => ({ name: 'never', definition: { start: 'a', nodes: [{ id: 'a', type: 'end' }] } }),
    wrongTypes: { name: 1, definition: 'x' },
  },
  'PATCH /v1/flows/:id': {
    valid: () => ({ name: 'never', draftRevision: 1 }),
    wrongTypes: { name: 1, draftRevision: 'x' },
  },
  'POST /v1/flows/generate': {
    valid: () => ({ description: 'never mind' }),
    wrongTypes: { description: 1, save: 'yes' },
  },
  'POST /v1/flows/:id/validate': { valid: () => ({}), wrongTypes: { x: 1 } },
  'POST /v1/flows/:id/publish': { valid: () => ({ note: 'never' }), wrongTypes: { note: 5 } },
  'POST /v1/flows/:id/rollback': {
    valid: () => ({ version: 1 }),
    wrongTypes: { version: 'one', restoreDraft: 'yes' },
  },
  'POST /v1/agents/:id/complete': {
    valid: () => ({ messages: [{ role: 'user', content: 'never' }] }),
    wrongTypes: { messages: 'hi', responseSchema: 1 },
  },
  'POST /v1/model-providers': {
    valid: () => ({ name: 'never', provider: 'offline' }),
    wrongTypes: { name: 1, provider: 2, apiKey: [] },
  },
  'PATCH /v1/model-providers/:id': { valid: () => ({ name: 'never' }), wrongTypes: { name: 1, apiKey: 5 } },
  'POST /v1/model-providers/:id/test': { valid: () => ({}), wrongTypes: { model: 1 } },
  'POST /v1/agents/:id/intents': {
    valid: () => ({ name: 'never', examples: [] }),
    wrongTypes: { name: 1, examples: 'x' },
  },
  'POST /v1/agents/:id/intents/classify': {
    valid: () => ({ text: 'never' }),
    wrongTypes: { text: 1, threshold: 'x' },
  },
  'PATCH /v1/intents/:id': { valid: () => ({ name: 'never' }), wrongTypes: { name: 1, examples: {} } },
  'POST /v1/knowledge-bases': {
    valid: () => ({ name: 'never' }),
    wrongTypes: { name: 1, embedding: 'offline' },
  },
  'PATCH /v1/knowledge-bases/:id': {
    valid: () => ({ name: 'never' }),
    wrongTypes: { name: [], description: 1 },
  },
  'POST /v1/knowledge-bases/:id/documents': {
    valid: () => ({ type: 'text', content: 'never' }),
    wrongTypes: { type: 5, content: 1 },
  },
  'POST /v1/knowledge-bases/:id/query': {
    valid: () => ({ query: 'never' }),
    wrongTypes: { query: 1, topK: 'x' },
  },
  'POST /v1/agents/:id/test-suites': {
    valid: () => ({ name: 'never', cases: [{ name: 'never', turns: [{ user: 'never' }] }] }),
    wrongTypes: { name: 1, cases: 'x' },
  },
  'PATCH /v1/test-suites/:id': { valid: () => ({ name: 'never' }), wrongTypes: { name: 1, cases: {} } },
  'POST /v1/agents/:id/test-runs': {
    valid: () => ({ suiteId: fakeId('tsu'), target: { type: 'draft' } }),
    wrongTypes: { suiteId: 1, cases: 'x', target: 'draft' },
  },
  'POST /v1/phone-numbers': {
    valid: () => ({ number: '+15550100999', agentId: fakeId('agt') }),
    wrongTypes: { number: 1, agentId: 2, mode: 3 },
  },
  'PATCH /v1/phone-numbers/:id': { valid: () => ({ label: 'never' }), wrongTypes: { label: 1, status: 2 } },
  'POST /v1/calls': {
    valid: () => ({ agentId: fakeId('agt'), to: '+15550100998' }),
    wrongTypes: { agentId: 1, to: 2, metadata: 'x' },
  },
  'POST /v1/campaigns': {
    valid: () => ({ name: 'never', agentId: fakeId('agt'), fromNumber: '+15550100997' }),
    wrongTypes: { name: 1, window: 'x', pacing: [] },
  },
  'PATCH /v1/campaigns/:id': { valid: () => ({ name: 'never' }), wrongTypes: { name: 1, retry: 'x' } },
  'POST /v1/campaigns/:id/contacts': {
    valid: () => ({ contacts: [{ phone: '+15550100996' }] }),
    wrongTypes: { contacts: 'x' },
  },
  'POST /v1/campaigns/:id/start': { valid: () => ({}), wrongTypes: { x: 1 } },
  'POST /v1/campaigns/:id/pause': { valid: () => ({}), wrongTypes: { x: 1 } },
};

const bodyRouteKeys = () =>
  Object.keys(ROUTE_PERMISSIONS).filter((key) => key.startsWith('POST ') || key.startsWith('PATCH '));

describe.each<DatabaseKind>(['postgres', 'pglite'])('bad input on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let ownerToken: string;
  let agentId: string;
  let memberId: string;
  let agentBefore: unknown;
  let knowledgeBaseId: string;

  const tokenFor = (key: string) => {
    const access = ROUTE_PERMISSIONS[key];
    if (access === 'public') return undefined;
    return access === 'platform:tenants' ? adminToken : ownerToken;
  };
  // Well-formed ids of the route's own kind, so body validation (not the path) is what is tested.
  const idFor = (key: string) => {
    if (key.includes('/knowledge-bases/')) return knowledgeBaseId;
    if (key.includes('/conversations/')) return newId('conversation');
    if (key.includes('/approvals/')) return newId('approval');
    if (key.includes('/handoffs/')) return newId('handoff');
    if (key.includes('/phone-numbers/')) return newId('phoneNumber');
    if (key.includes('/campaigns/')) return newId('campaign');
    return agentId;
  };
  const pathFor = (key: string) =>
    (key.split(' ')[1] ?? '').replace(':userId', memberId).replace(':id', idFor(key));
  const send = (key: string, rawBody: string | undefined, headers: Record<string, string> = {}) =>
    api.call(key.split(' ')[0] ?? '', pathFor(key), {
      token: tokenFor(key),
      ...(rawBody === undefined ? {} : { rawBody }),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const expectIssues = (response: ApiResponse) => {
    expectError(response, 400, 'validation_failed');
    expect(response.body.error.details.location).toBe('body');
    expect(response.body.error.details.issues.length).toBeGreaterThan(0);
    for (const issue of response.body.error.details.issues) {
      expect(issue).toEqual({
        path: expect.any(String),
        message: expect.any(String),
        code: expect.any(String),
      });
    }
  };

  beforeAll(async () => {
    target = await createAppTarget(kind, { bodyLimitBytes: BODY_LIMIT });
    api = client(target);
    adminToken = await loginAdmin(api);
    ownerToken = (await createTenant(api, adminToken, 'bad-input')).token;
    memberId = (await memberToken(api, ownerToken, 'viewer')).userId;
    const agent = await api.post(
      '/v1/agents',
      {
        name: 'Keeper',
        description: 'must survive',
        config: { prompt: 'hi', nested: { a: [1, 2] } },
        metadata: { k: 'v' },
      },
      { token: ownerToken },
    );
    expect(agent.status).toBe(201);
    agentId = agent.body.id;
    agentBefore = agent.body;
    const knowledgeBase = await api.post('/v1/knowledge-bases', { name: 'Keeper KB' }, { token: ownerToken });
    expect(knowledgeBase.status).toBe(201);
    knowledgeBaseId = knowledgeBase.body.id;
  });
  afterAll(() => target?.close());

  it('covers every JSON-body route of the permission table', () => {
    expect(Object.keys(BODY_ROUTES).sort()).toEqual(bodyRouteKeys().sort());
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    for (const key of bodyRouteKeys()) {
      for (const raw of [
        '{"name":',
        '{name: 1}',
        "{'name': 'x'}",
        '{"a":1,}',
        '',
        '{"a":1}}',
        'nul',
        '\u0000',
      ]) {
        const response = await send(key, raw);
        expect(response.status, `${key} ${JSON.stringify(raw)}: ${response.text}`).toBe(400);
        expectError(response, 400, 'invalid_json');
      }
    }
  });

  it('answers non-object JSON, wrong types and unknown fields with 400 validation_failed', async () => {
    for (const key of bodyRouteKeys()) {
      const spec = BODY_ROUTES[key];
      if (!spec) throw new Error(`no body spec for ${key}`);
      for (const raw of ['[]', '[{"name":"x"}]', '"string"', '42', 'null', 'true']) {
        expectIssues(await send(key, raw));
      }
      expectIssues(await send(key, JSON.stringify(spec.wrongTypes)));
      expectIssues(await send(key, JSON.stringify({ ...spec.valid(), ...spec.wrongTypes })));
      const unknown = await send(key, JSON.stringify({ ...spec.valid(), unexpected: true }));
      expectIssues(unknown);
      expect(unknown.body.error.details.issues[0].code).toBe('unrecognized_keys');
    }
  });

  it('refuses bodies that are not declared JSON with a 4xx in the error shape', async () => {
    for (const key of bodyRouteKeys()) {
      const raw = JSON.stringify(BODY_ROUTES[key]?.valid());
      for (const contentType of [
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      ]) {
        const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
        const response = await api.call(key.split(' ')[0] ?? '', pathFor(key), {
          token: tokenFor(key),
          rawBody: raw,
          headers,
        });
        expectClientError(response, [400, 415]);
      }
    }
  });

  it('answers bodies over the limit with 413, with a content-length and when streamed without one', async () => {
    const oversized = JSON.stringify({ name: 'x', description: 'a'.repeat(BODY_LIMIT) });
    const bytes = new TextEncoder().encode(oversized);
    for (const key of bodyRouteKeys()) {
      const [method = '', path = ''] = [key.split(' ')[0], pathFor(key)];
      const token = tokenFor(key);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
      const sized = await api.call(method, path, {
        token,
        rawBody: oversized,
        headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
      });
      expectError(sized, 413, 'payload_too_large');

      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 512)
            controller.enqueue(bytes.slice(offset, offset + 512));
          controller.close();
        },
      });
      const streamed = await target.fetch(path, {
        method,
        headers,
        body: stream,
        duplex: 'half',
      } as RequestInit);
      const text = await streamed.text();
      expectError(
        { status: streamed.status, headers: streamed.headers, body: JSON.parse(text), text },
        413,
        'payload_too_large',
      );
    }
  });

  it('answers invalid path ids with 400 or 404, never 500', async () => {
    const bad = [
      'not-an-id',
      encodeURIComponent("agt_' OR '1'='1"),
      encodeURIComponent('1; DROP TABLE agents;--'),
      'x'.repeat(10_000),
      encodeURIComponent('ÄÖÜ-名前'),
      '%F0%9F%92%A9',
      '%00',
      `agt_%00${'0'.repeat(25)}`,
      '%E0%A4%A',
      '%zz',
      '..%2F..%2Fhealthz',
      '%2e%2e',
      `agt_${'a'.repeat(26)}`,
    ];
    const idRoutes = Object.keys(ROUTE_PERMISSIONS).filter((key) => key.includes('/:'));
    expect(idRoutes.length).toBeGreaterThan(0);
    for (const key of idRoutes) {
      const [method = '', route = ''] = key.split(' ');
      // Only the first id is malformed; a nested document id is well-formed (and missing).
      const template = route.replace(':documentId', fakeId('doc'));
      const body = BODY_ROUTES[key]?.valid();
      for (const id of bad) {
        const response = await api.call(method, template.replace(/:[A-Za-z]+/, id), {
          token: ownerToken,
          body,
        });
        expectClientError(response, [400, 404]);
      }
      // The id prefix of the resource named just before the first path parameter.
      const resource = /\/([a-z-]+)\/:[A-Za-z]+/.exec(template)?.[1] ?? 'agents';
      const prefixes: Record<string, string> = {
        members: 'usr',
        'api-keys': 'key',
        'knowledge-bases': 'kbs',
        conversations: 'cnv',
        approvals: 'apr',
        handoffs: 'hnd',
        flows: 'flw',
        'model-providers': 'mpr',
        intents: 'itn',
        'phone-numbers': 'phn',
        calls: 'cal',
        campaigns: 'cmp',
      };
      const prefix = prefixes[resource] ?? 'agt';
      const missing = await api.call(method, template.replace(/:[A-Za-z]+/, fakeId(prefix)), {
        token: ownerToken,
        body,
      });
      expectError(missing, 404, 'not_found');
    }
  });

  it('answers invalid query parameters with 400 validation_failed', async () => {
    const lists: [string, string | undefined][] = [
      ['/v1/agents', ownerToken],
      ['/v1/api-keys', ownerToken],
      ['/v1/members', ownerToken],
      ['/v1/audit', ownerToken],
      ['/v1/tenants', undefined],
    ];
    const common = [
      'limit=0',
      'limit=abc',
      'limit=100000',
      'limit=-1',
      'limit=1.5',
      'limit=',
      'limit=1&limit=2',
      'unknown=1',
      'cursor=',
    ];
    for (const [path, token] of lists) {
      for (const query of common) {
        const response = await api.get(`${path}?${query}`, { token: token ?? adminToken });
        expect(response.status, `${path}?${query}: ${response.text}`).toBe(400);
        expectError(response, 400, 'validation_failed');
        expect(response.body.error.details.location).toBe('query');
      }
    }
    for (const path of [
      '/v1/agents?status=bogus',
      '/v1/agents?q=',
      '/v1/members?role=god',
      '/v1/audit?from=yesterday',
      '/v1/audit?cursor=abc',
    ]) {
      expectError(await api.get(path, { token: ownerToken }), 400, 'validation_failed');
    }
    // NUL passes the schema but not Postgres: still a 400, mapped from the driver error.
    for (const path of ['/v1/agents?q=%00', '/v1/agents?cursor=%00', '/v1/audit?action=%00']) {
      expectError(await api.get(path, { token: ownerToken }), 400, 'validation_failed');
    }
    const undecodable = await api.get('/v1/agents?q=%%%', { token: ownerToken });
    expect(undecodable.status, undecodable.text).toBe(200);
    expect(undecodable.body.data).toEqual([]);
  });

  it('refuses values the database cannot store, or nests too deep, with 400 (never 500)', async () => {
    for (const raw of [
      '{"name":"a\\u0000b"}',
      '{"name":"ok","config":{"a":"\\u0000"}}',
      '{"name":"ok","metadata":{"k":"\\u0000"}}',
      '{"name":"ok","config":{"a":"\\ud800"}}',
      `{"name":"deep","config":{"a":${'['.repeat(1500)}${']'.repeat(1500)}}}`,
    ]) {
      expectError(await send('POST /v1/agents', raw), 400, 'validation_failed');
    }
    // Beyond this test's body limit, through an app over the same database with a generous one.
    const roomy = buildApp({ ...target.deps, bodyLimitBytes: 2_000_000 });
    const roomyApi = client({ fetch: async (path, init) => roomy.request(path, init) });
    for (const depth of [5_000, 200_000]) {
      const raw = `{"name":"deep","config":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
      const response = await roomyApi.post('/v1/agents', undefined, {
        token: ownerToken,
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      });
      expectError(response, 400, 'validation_failed');
    }
    for (const raw of [
      '{"name":"a\\ud800b"}',
      '{"name":"huge","config":{"a":1e400}}',
      '{"name":"ok","config":{"__proto__":{"polluted":true}}}',
    ]) {
      const response = await send('POST /v1/agents', raw);
      expect([201, 400], response.text).toContain(response.status);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves stored data intact and the audit chain valid after all of it', async () => {
    const agent = await api.get(`/v1/agents/${agentId}`, { token: ownerToken });
    expect(agent.status).toBe(200);
    expect(agent.body).toEqual(agentBefore);
    const [row] = await target.owner<{ name: string; version: number; description: string }>(
      'select name, version, description from agents where id = $1',
      [agentId],
    );
    expect(row).toEqual({ name: 'Keeper', version: 1, description: 'must survive' });
    const member = await api.get(`/v1/members/${memberId}`, { token: ownerToken });
    expect(member.body.role).toBe('viewer');
    const verify = await api.get('/v1/audit/verify', { token: ownerToken });
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(true);
    expect(verify.body.checked).toBeGreaterThan(0);
  });
});
