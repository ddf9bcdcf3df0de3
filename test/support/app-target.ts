import {
  type Cache,
  type Clock,
  createInProcessBus,
  createMemoryCache,
  createPostgresDatabase,
  createSecretKeyring,
  createTokenService,
  type Database,
  type EventBus,
  generateSecretKeysSpec,
  generateTokenKeys,
  type OwnerQuery,
  type TokenService,
  type ToolRegistry,
} from '@lumay/shared';
import { createPgliteDatabase, createPostgresOwner } from '@lumay/shared/node';
import { buildApp } from '../../workers/src/app.ts';
import { createNodePasswordHasher } from '../../workers/src/node-runtime.ts';
import { seed } from '../../workers/src/seed.ts';
import { type AppDeps, createServices } from '../../workers/src/services.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export const ADMIN_EMAIL = 'admin@test.lumay';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const DEMO_EMAIL = 'demo@test.lumay';
export const DEMO_PASSWORD = 'demo-password-for-tests';

/** A running management API under test, reached in-process through `fetch` (the app's own handler). */
export interface AppTarget {
  name: string;
  kind: DatabaseKind;
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  db: Database;
  /** Raw SQL as the schema owner, for tests that tamper with rows or inspect the catalog. */
  owner: OwnerQuery;
  tokens: TokenService;
  /** Token key pair used by this target (JWT attack tests sign with these). */
  keys: { privateKeyPem: string; publicKeyPem: string };
  issuer: string;
  audience: string;
  demoTenantId: string;
  platformTenantId: string;
  /** Postgres targets only: the fresh database's URLs. */
  database?: TestDatabase;
  deps: AppDeps;
  /** The LUMAY_SECRETS_KEYS value the app's keyring was built from. */
  secretsKeys: string;
  /** Every registered handler (middleware excluded), deduplicated: the route sweep walks these. */
  routes: readonly { method: string; path: string }[];
  close(): Promise<void>;
}

export interface AppTargetOptions {
  /** LUMAY_SECRETS_KEYS for the app's keyring (default: one fresh key). */
  secretsKeys?: string;
  /** Default true: tests point providers at local wire-protocol servers on 127.0.0.1. */
  allowPrivateModelEndpoints?: boolean;
  cache?: Cache;
  bus?: EventBus;
  bodyLimitBytes?: number;
  accessTokenTtlSeconds?: number;
  /** The clock of approval expiry and turn leases (tests move time forward). */
  clock?: Clock;
  /** The tools flows call (default: the in-memory DEMO tools). */
  tools?: ToolRegistry;
}

/**
 * Builds the real app (real services, real database with RLS, real password hashing and JWTs) over a
 * fresh Postgres database or an in-memory PGlite, seeded like the embedded default.
 */
export async function createAppTarget(
  kind: DatabaseKind,
  options: AppTargetOptions = {},
): Promise<AppTarget> {
  let db: Database;
  let owner: OwnerQuery;
  let database: TestDatabase | undefined;
  let closeOwner = async () => {};
  if (kind === 'postgres') {
    database = await createTestDatabase();
    db = createPostgresDatabase({ url: database.url, max: 5 });
    const ownerConnection = createPostgresOwner(database.url);
    owner = ownerConnection.owner;
    closeOwner = ownerConnection.close;
  } else {
    ({ db, owner } = await createPgliteDatabase(undefined));
  }
  const keys = await generateTokenKeys();
  const issuer = 'lumay-test';
  const audience = 'lumay-api-test';
  const tokens = await createTokenService({
    ...keys,
    issuer,
    audience,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 900,
  });
  const bus = options.bus ?? createInProcessBus();
  const secretsKeys = options.secretsKeys ?? generateSecretKeysSpec();
  const deps: AppDeps = {
    db,
    cache: options.cache ?? createMemoryCache(),
    bus,
    tokens,
    // Real scrypt at a lower cost: hundreds of logins per run would otherwise cost minutes of CPU.
    // The production cost is exercised by the password unit tests and the spawned-server targets.
    passwords: createNodePasswordHasher({ logN: 12, r: 8, p: 1, keyLength: 32 }),
    // Tests choose the client address per request through X-Forwarded-For (like TRUST_PROXY=true).
    clientIp: (request) => request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? '127.0.0.1',
    refreshTokenTtlSeconds: 3600,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    version: 'test',
    secretsKeyring: await createSecretKeyring(secretsKeys),
    allowPrivateModelEndpoints: options.allowPrivateModelEndpoints ?? true,
    modelTimeoutMs: 10_000,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
  };
  const report = await seed(createServices(deps), db, owner, {
    adminEmail: ADMIN_EMAIL,
    adminPassword: ADMIN_PASSWORD,
    demo: { ownerEmail: DEMO_EMAIL, ownerPassword: DEMO_PASSWORD },
  });
  const app = buildApp(deps);
  const routes = new Map<string, { method: string; path: string }>();
  for (const { method, path } of app.routes) {
    if (method !== 'ALL') routes.set(`${method} ${path}`, { method, path });
  }
  return {
    name: `in-process app on ${kind}`,
    kind,
    fetch: async (path, init) => app.fetch(new Request(new URL(path, 'http://lumay.test'), init)),
    db,
    owner,
    tokens,
    keys,
    issuer,
    audience,
    demoTenantId: report.demo?.tenantId ?? '',
    platformTenantId: report.admin.tenantId,
    ...(database ? { database } : {}),
    deps,
    secretsKeys,
    routes: [...routes.values()],
    async close() {
      await bus.close();
      await closeOwner();
      await db.close();
      await database?.drop();
    },
  };
}
