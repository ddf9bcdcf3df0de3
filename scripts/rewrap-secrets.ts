/**
 * Moves every tenant's secrets to the primary (highest) key-encryption key, without touching the
 * encrypted values: run it after adding a new KEK version to LUMAY_SECRETS_KEYS, and remove the old
 * version only once it reports nothing left on it.
 *
 *   LUMAY_SECRETS_KEYS='1:<old>,2:<new>' DATABASE_URL=postgres://lumay_app@… MIGRATION_DATABASE_URL=postgres://owner@… \
 *     npx tsx scripts/rewrap-secrets.ts [--tenant ten_…]
 *   LUMAY_SECRETS_KEYS='1:<old>,2:<new>' npx tsx scripts/rewrap-secrets.ts --data-dir ./.lumay   # embedded (PGlite)
 *
 * Prints one JSON report per tenant. Exit code 0 when every secret is on the primary KEK, 1 when
 * some could not be rewrapped (their KEK version is not configured), 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import {
  createPostgresDatabase,
  createSecretKeyring,
  type Database,
  type OwnerQuery,
  rewrapAllTenants,
} from '@lumay/shared';
import { createPgliteDatabase, createPostgresOwner } from '@lumay/shared/node';

async function open(
  dataDir: string | undefined,
): Promise<{ db: Database; owner: OwnerQuery; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url && !dataDir) {
    const db = createPostgresDatabase({ url, max: 2 });
    const ownerConnection = createPostgresOwner(process.env.MIGRATION_DATABASE_URL ?? url);
    return {
      db,
      owner: ownerConnection.owner,
      close: async () => {
        await ownerConnection.close();
        await db.close();
      },
    };
  }
  const { db, owner } = await createPgliteDatabase(dataDir ?? process.env.LUMAY_DATA_DIR ?? './.lumay');
  return { db, owner, close: () => db.close() };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { tenant: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const spec = process.env.LUMAY_SECRETS_KEYS;
  if (!spec) {
    console.error(
      'LUMAY_SECRETS_KEYS must list the KEKs, e.g. 1:<base64 32 bytes>,2:<base64 32 bytes> (newest = primary)',
    );
    return 2;
  }
  const keyring = await createSecretKeyring(spec);
  const database = await open(values['data-dir']);
  try {
    // Only tenants with secrets below the primary version have work to do (read as the owner: RLS
    // scopes the application role to one tenant at a time).
    const tenants = values.tenant
      ? [values.tenant]
      : (
          await database.owner<{ tenant_id: string }>(
            'select distinct tenant_id from secrets where kek_version < $1 order by tenant_id',
            [keyring.primaryVersion],
          )
        ).map((row) => row.tenant_id);
    const reports = await rewrapAllTenants(database.db, keyring, tenants, {
      actorId: 'rewrap-secrets-cli',
      requestId: `rewrap-${new Date().toISOString()}`,
    });
    for (const report of reports) console.log(JSON.stringify(report));
    console.error(
      `rewrapped ${reports.reduce((sum, report) => sum + report.rewrapped, 0)} secrets in ${reports.length} tenants ` +
        `to KEK version ${keyring.primaryVersion}`,
    );
    return reports.some((report) => report.unavailable.length > 0) ? 1 : 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
