import {
  createSecretKeyring,
  createSecretService,
  generateSecretKeysSpec,
  type RequestContext,
  rewrapAllTenants,
  SecretIntegrityError,
  SecretKeyUnavailableError,
} from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { expectError } from '../security/error-shape.ts';

const KEY_ONE = generateSecretKeysSpec(1);
const KEY_TWO = generateSecretKeysSpec(2);

function contextFor(tenant: { tenantId: string; ownerId: string }): RequestContext {
  return {
    tenantId: tenant.tenantId,
    actor: { type: 'user', id: tenant.ownerId },
    role: 'owner',
    requestId: 'req_secrets_test',
    ip: null,
  };
}

/** Every stored representation a leak could hide in: the value, and its base64 forms. */
function forms(value: string): string[] {
  const base64 = btoa(value);
  return [value, base64, base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')];
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('secrets (envelope encryption) on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let adminToken: string;
  let tenantA: Awaited<ReturnType<typeof createTenant>>;
  let tenantB: Awaited<ReturnType<typeof createTenant>>;

  const rowOf = async (id: string) =>
    (await target.owner<Record<string, unknown>>('select * from secrets where id = $1', [id]))[0];

  beforeAll(async () => {
    target = await createAppTarget(kind, { secretsKeys: KEY_ONE });
    api = client(target);
    adminToken = await loginAdmin(api);
    tenantA = await createTenant(api, adminToken, 'secrets-a');
    tenantB = await createTenant(api, adminToken, 'secrets-b');
  });
  afterAll(() => target?.close());

  it('round-trips a value; the row, the audit log and the view hold no plaintext', async () => {
    const service = createSecretService(target.db, await createSecretKeyring(KEY_ONE));
    const value = `sk-roundtrip-${crypto.randomUUID()}`;
    const view = await service.create(contextFor(tenantA), { name: 'crm/api-key', kind: 'api_key', value });
    expect(view).toMatchObject({
      name: 'crm/api-key',
      kind: 'api_key',
      kekVersion: 1,
      lastFour: value.slice(-4),
    });
    expect(await service.reveal(contextFor(tenantA), view.id)).toBe(value);

    const row = await rowOf(view.id);
    expect(row).toMatchObject({ tenant_id: tenantA.tenantId, kek_version: 1 });
    const stored = JSON.stringify(row);
    const audit = JSON.stringify(
      await target.owner('select * from audit_log where tenant_id = $1', [tenantA.tenantId]),
    );
    for (const form of forms(value)) {
      expect(stored).not.toContain(form);
      expect(audit).not.toContain(form);
      expect(JSON.stringify(view)).not.toContain(form);
    }
    // Another tenant cannot even see the row (RLS), let alone decrypt it.
    await expect(service.reveal(contextFor(tenantB), view.id)).rejects.toMatchObject({ code: 'not_found' });
    // Short values get no last-four hint.
    const short = await service.create(contextFor(tenantA), { name: 'pin', kind: 'pin', value: '123456' });
    expect(short.lastFour).toBeNull();
  });

  it('refuses to decrypt a tampered row: ciphertext, IVs, wrapped key, version label, or a row moved to another tenant', async () => {
    const service = createSecretService(target.db, await createSecretKeyring(KEY_ONE));
    const value = 'sk-tamper-0123456789abcdef';
    const { id } = await service.create(contextFor(tenantA), { name: 'tamper', kind: 'api_key', value });
    const original = await rowOf(id);
    const flip = (text: unknown) => {
      const characters = String(text).split('');
      characters[2] = characters[2] === 'A' ? 'B' : 'A';
      return characters.join('');
    };
    for (const column of ['ciphertext', 'iv', 'wrapped_key', 'wrap_iv']) {
      await target.owner(`update secrets set ${column} = $1 where id = $2`, [flip(original?.[column]), id]);
      const error = await service.reveal(contextFor(tenantA), id).catch((caught: unknown) => caught);
      expect(error, column).toBeInstanceOf(SecretIntegrityError);
      expect(String((error as Error).message)).not.toContain(value);
      await target.owner(`update secrets set ${column} = $1 where id = $2`, [original?.[column], id]);
    }
    await target.owner('update secrets set kek_version = 7 where id = $1', [id]);
    await expect(service.reveal(contextFor(tenantA), id)).rejects.toBeInstanceOf(SecretKeyUnavailableError);
    await target.owner('update secrets set kek_version = 1 where id = $1', [id]);
    expect(await service.reveal(contextFor(tenantA), id)).toBe(value);

    // The same sealed columns copied into another tenant's row (a new id) do not open there.
    const copyId = `sec_${'1'.repeat(26)}`;
    await target.owner(
      `insert into secrets (id, tenant_id, name, kind, ciphertext, iv, wrapped_key, wrap_iv, kek_version)
       select $1, $2, name || '-copy', kind, ciphertext, iv, wrapped_key, wrap_iv, kek_version from secrets where id = $3`,
      [copyId, tenantB.tenantId, id],
    );
    await expect(service.reveal(contextFor(tenantB), copyId)).rejects.toBeInstanceOf(SecretIntegrityError);
    // And moving the row itself to the other tenant breaks it too.
    await target.owner('update secrets set tenant_id = $1 where id = $2', [tenantB.tenantId, id]);
    await expect(service.reveal(contextFor(tenantB), id)).rejects.toBeInstanceOf(SecretIntegrityError);
    await target.owner('update secrets set tenant_id = $1 where id = $2', [tenantA.tenantId, id]);
  });

  it('rewraps to a new KEK without touching ciphertexts; removing the old KEK breaks only what was not rewrapped', async () => {
    const tenantC = await createTenant(api, adminToken, 'secrets-c');
    const tenantD = await createTenant(api, adminToken, 'secrets-d');
    const old = createSecretService(target.db, await createSecretKeyring(KEY_ONE));
    const values = ['sk-rewrap-aaaaaaaaaaaaaaaa', 'sk-rewrap-bbbbbbbbbbbbbbbb'];
    const rewrapped = [];
    for (const [index, value] of values.entries()) {
      rewrapped.push(
        await old.create(contextFor(tenantC), { name: `rewrap-${index}`, kind: 'api_key', value }),
      );
    }
    const left = await old.create(contextFor(tenantD), {
      name: 'left-behind',
      kind: 'api_key',
      value: 'sk-left-cccccccccccccccc',
    });
    const before = await Promise.all(rewrapped.map((secret) => rowOf(secret.id)));

    const both = createSecretService(target.db, await createSecretKeyring(`${KEY_ONE},${KEY_TWO}`));
    // Old versions stay readable while both keys are configured; new secrets use the primary.
    expect(await both.reveal(contextFor(tenantC), rewrapped[0]?.id ?? '')).toBe(values[0]);
    const fresh = await both.create(contextFor(tenantC), {
      name: 'fresh',
      kind: 'api_key',
      value: 'sk-fresh-dddddddddddddddd',
    });
    expect(fresh.kekVersion).toBe(2);

    const report = await both.rewrapTenant(contextFor(tenantC));
    expect(report).toEqual({
      tenantId: tenantC.tenantId,
      primaryVersion: 2,
      rewrapped: 2,
      current: 1,
      unavailable: [],
    });
    for (const [index, secret] of rewrapped.entries()) {
      const after = await rowOf(secret.id);
      expect(after?.kek_version).toBe(2);
      expect(after?.ciphertext).toBe(before[index]?.ciphertext);
      expect(after?.iv).toBe(before[index]?.iv);
      expect(after?.wrapped_key).not.toBe(before[index]?.wrapped_key);
    }
    // A second run has nothing left to do.
    expect((await both.rewrapTenant(contextFor(tenantC))).rewrapped).toBe(0);

    const onlyNew = createSecretService(target.db, await createSecretKeyring(KEY_TWO));
    for (const [index, secret] of rewrapped.entries()) {
      expect(await onlyNew.reveal(contextFor(tenantC), secret.id)).toBe(values[index]);
    }
    const error = await onlyNew.reveal(contextFor(tenantD), left.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretKeyUnavailableError);
    expect(error).toMatchObject({
      code: 'service_unavailable',
      details: { reason: 'kek_unavailable', kekVersion: 1 },
    });
    expect((await onlyNew.rewrapTenant(contextFor(tenantD))).unavailable).toEqual([
      { id: left.id, kekVersion: 1 },
    ]);

    // The cross-tenant rewrap (the admin CLI's function) fixes tenant D while key 1 is still around.
    const [reportD] = await rewrapAllTenants(
      target.db,
      await createSecretKeyring(`${KEY_ONE},${KEY_TWO}`),
      [tenantD.tenantId],
      {
        actorId: 'test-rewrap',
        requestId: 'req_rewrap',
      },
    );
    expect(reportD).toMatchObject({ rewrapped: 1, unavailable: [] });
    expect(await onlyNew.reveal(contextFor(tenantD), left.id)).toBe('sk-left-cccccccccccccccc');
    const audit = await target.owner<{ action: string; actor_type: string; after: unknown }>(
      "select action, actor_type, after from audit_log where tenant_id = $1 and action = 'secret.rewrap'",
      [tenantD.tenantId],
    );
    expect(audit).toEqual([{ action: 'secret.rewrap', actor_type: 'system', after: { kekVersion: 2 } }]);
    const chain = await api.get('/v1/audit/verify', { token: tenantD.token });
    expect(chain.body.valid).toBe(true);
  });

  it('answers a clear 503 over HTTP when a key cannot be decrypted, never the key', async () => {
    const tenant = await createTenant(api, adminToken, 'secrets-http');
    const apiKey = 'sk-http-secret-0123456789abcdef';
    const created = await api.post(
      '/v1/model-providers',
      {
        name: 'OpenAI',
        provider: 'openai',
        apiKey,
        defaultModel: 'gpt-4o-mini',
        baseUrl: 'https://api.openai.com/v1',
      },
      { token: tenant.token },
    );
    expect(created.status, created.text).toBe(201);
    // The same database served by an app whose keyring lost key 1 (removed before a rewrap).
    const rotated = buildApp({ ...target.deps, secretsKeyring: await createSecretKeyring(KEY_TWO) });
    const rotatedApi = client({ fetch: async (path, init) => rotated.request(path, init) });
    const tested = await rotatedApi.post(
      `/v1/model-providers/${created.body.id}/test`,
      {},
      { token: tenant.token },
    );
    expectError(tested, 503, 'service_unavailable');
    expect(tested.body.error.message).toMatch(/key-encryption key \(version 1\) is not configured/);
    const read = await rotatedApi.get(`/v1/model-providers/${created.body.id}`, { token: tenant.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ hasApiKey: true, apiKeyLastFour: 'cdef' });
    for (const response of [created, tested, read]) {
      for (const form of forms(apiKey)) expect(response.text).not.toContain(form);
    }
    // A deployment without any keyring refuses to store keys, with the variable to set.
    const unconfigured = buildApp({ ...target.deps, secretsKeyring: undefined });
    const unconfiguredApi = client({ fetch: async (path, init) => unconfigured.request(path, init) });
    const refused = await unconfiguredApi.post(
      '/v1/model-providers',
      { name: 'Other', provider: 'openai', apiKey, defaultModel: 'gpt-4o-mini' },
      { token: tenant.token },
    );
    expectError(refused, 503, 'service_unavailable');
    expect(refused.body.error.message).toContain('LUMAY_SECRETS_KEYS');
  });
});
