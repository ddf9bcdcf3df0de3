import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecretKeyring, createSecretService, generateSecretKeysSpec } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const KEY_ONE = generateSecretKeysSpec(1);
const KEY_TWO = generateSecretKeysSpec(2);

function rewrap(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/rewrap-secrets.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripts/rewrap-secrets.ts against Postgres', () => {
  let target: AppTarget;
  let api: Client;

  beforeAll(async () => {
    target = await createAppTarget('postgres', { secretsKeys: KEY_ONE });
    api = client(target);
  });
  afterAll(() => target?.close());

  it('moves every tenant to the new KEK, after which the old key can go', async () => {
    const adminToken = await loginAdmin(api);
    const tenants = [
      await createTenant(api, adminToken, 'cli-a'),
      await createTenant(api, adminToken, 'cli-b'),
    ];
    const keys = ['sk-cli-aaaaaaaaaaaaaaaaaaaa', 'sk-cli-bbbbbbbbbbbbbbbbbbbb'];
    const ids: string[] = [];
    for (const [index, tenant] of tenants.entries()) {
      const created = await api.post(
        '/v1/model-providers',
        { name: 'OpenAI', provider: 'openai', apiKey: keys[index], defaultModel: 'gpt-4o-mini' },
        { token: tenant.token },
      );
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
    }
    const database = target.database;
    if (!database) throw new Error('the postgres target has a database');
    const env = { DATABASE_URL: database.appUrl, MIGRATION_DATABASE_URL: database.url };

    const missing = await rewrap({ ...env, LUMAY_SECRETS_KEYS: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('LUMAY_SECRETS_KEYS');

    const result = await rewrap({ ...env, LUMAY_SECRETS_KEYS: `${KEY_ONE},${KEY_TWO}` });
    expect(result.code, result.stderr).toBe(0);
    const reports = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const ours = reports.filter((report) => tenants.some((tenant) => tenant.tenantId === report.tenantId));
    expect(ours).toHaveLength(2);
    for (const report of ours)
      expect(report).toMatchObject({ primaryVersion: 2, rewrapped: 1, unavailable: [] });
    expect(result.stdout + result.stderr).not.toContain(keys[0]);

    const versions = await target.owner<{ kek_version: number }>('select distinct kek_version from secrets');
    expect(versions).toEqual([{ kek_version: 2 }]);
    const onlyNew = createSecretService(target.db, await createSecretKeyring(KEY_TWO));
    for (const [index, tenant] of tenants.entries()) {
      const [row] = await target.owner<{ secret_id: string }>(
        'select secret_id from model_providers where id = $1',
        [ids[index]],
      );
      const context = {
        tenantId: tenant.tenantId,
        actor: { type: 'system' as const, id: 'test' },
        role: 'owner' as const,
        requestId: 'req_cli',
        ip: null,
      };
      expect(await onlyNew.reveal(context, row?.secret_id ?? '')).toBe(keys[index]);
    }
    // Nothing left: a second run touches no tenant.
    const again = await rewrap({ ...env, LUMAY_SECRETS_KEYS: `${KEY_ONE},${KEY_TWO}` });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('');
  });
});
