import { type ServerType, serve } from '@hono/node-server';
import {
  createApprovalSweeper,
  createCampaignScheduler,
  createInProcessBus,
  createMemoryCache,
  createModelRegistry,
  createOutboxRelay,
  createPostgresDatabase,
  createSecretKeyring,
  createTokenService,
  type Database,
  DEFAULT_DOCUMENT_BODY_LIMIT_BYTES,
  type OwnerQuery,
  registerIngestConsumer,
} from '@lumay/shared';
import {
  createNodeUrlFetcher,
  createPgliteDatabase,
  createPostgresOwner,
  migratePostgres,
} from '@lumay/shared/node';
import { startVoiceRuntime, voiceConfigSchema } from '@lumay/voice-node';
import { buildApp } from './app.ts';
import { type EmbeddedConfig, embeddedConfigSchema } from './config.ts';
import {
  createNodePasswordHasher,
  loadConfig,
  loadOrCreateSecretKeys,
  loadOrCreateTokenKeys,
  loadOrCreateVoiceDevAccount,
  nodeClientIp,
  nodeResolveHost,
  saveFirstRunCredentials,
} from './node-runtime.ts';
import { seed } from './seed.ts';
import { createServices } from './services.ts';

const VERSION = '0.1.0';
/** How often due approvals are expired and abandoned turns finished (reads and decisions also do it lazily). */
const APPROVAL_SWEEP_INTERVAL_MS = 30_000;
/** How often running campaigns request their next calls (pacing is per minute, so a few seconds is plenty). */
const CAMPAIGN_TICK_INTERVAL_MS = 5_000;

async function openDatabase(
  config: EmbeddedConfig,
): Promise<{ db: Database; owner: OwnerQuery; close: () => Promise<void> }> {
  if (config.DATABASE_URL) {
    await migratePostgres(config.DATABASE_URL);
    const db = createPostgresDatabase({ url: config.DATABASE_URL });
    const ownerConnection = createPostgresOwner(config.DATABASE_URL);
    return {
      db,
      owner: ownerConnection.owner,
      close: async () => {
        await ownerConnection.close();
        await db.close();
      },
    };
  }
  const { db, owner } = await createPgliteDatabase(config.LUMAY_DATA_DIR);
  return { db, owner, close: () => db.close() };
}

/**
 * The embedded default: management API and voice node in one process, PGlite under LUMAY_DATA_DIR
 * (or DATABASE_URL when set), in-memory cache and bus, a seeded platform admin and demo tenant.
 */
async function main(): Promise<void> {
  const config = loadConfig(embeddedConfigSchema);
  const database = await openDatabase(config);
  const keys =
    config.JWT_PRIVATE_KEY && config.JWT_PUBLIC_KEY
      ? { privateKeyPem: config.JWT_PRIVATE_KEY, publicKeyPem: config.JWT_PUBLIC_KEY }
      : await loadOrCreateTokenKeys(config.LUMAY_DATA_DIR);
  const deps = {
    db: database.db,
    cache: createMemoryCache(),
    bus: createInProcessBus(),
    tokens: await createTokenService({
      ...keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    }),
    passwords: createNodePasswordHasher(),
    clientIp: nodeClientIp(config.TRUST_PROXY),
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    version: VERSION,
    knowledge: { registry: createModelRegistry(), documentBodyLimitBytes: DEFAULT_DOCUMENT_BODY_LIMIT_BYTES },
    secretsKeyring: await createSecretKeyring(
      config.LUMAY_SECRETS_KEYS ?? (await loadOrCreateSecretKeys(config.LUMAY_DATA_DIR)),
    ),
    allowPrivateModelEndpoints: config.ALLOW_PRIVATE_MODEL_ENDPOINTS,
    resolveHost: nodeResolveHost,
  };
  const report = await seed(createServices(deps), database.db, database.owner, {
    adminEmail: config.LUMAY_ADMIN_EMAIL,
    adminPassword: config.LUMAY_ADMIN_PASSWORD,
    demo: { ownerEmail: 'demo@lumay.local', ownerPassword: config.LUMAY_DEMO_PASSWORD },
  });

  const app = buildApp(deps);
  // Background jobs run in-process: the relay publishes committed outbox rows to the in-process bus.
  await registerIngestConsumer(deps.bus, {
    db: database.db,
    registry: deps.knowledge.registry,
    fetcher: createNodeUrlFetcher(),
  });
  const relay = createOutboxRelay({ db: database.db, bus: deps.bus, intervalMs: 200 });
  relay.start();
  // Expires due approvals (resuming their conversations) and finishes turns a crash left open.
  const sweeper = createApprovalSweeper({
    approvals: createServices(deps).approvals,
    tenantIds: async () =>
      (await database.owner<{ id: string }>("select id from tenants where status = 'active'")).map(
        (row) => row.id,
      ),
    intervalMs: APPROVAL_SWEEP_INTERVAL_MS,
  });
  sweeper.start();
  // Places campaign calls (outbound.call.requested through the outbox) inside their windows, paced.
  const campaignScheduler = createCampaignScheduler({
    db: database.db,
    tenantIds: async () =>
      (await database.owner<{ id: string }>("select id from tenants where status = 'active'")).map(
        (row) => row.id,
      ),
    intervalMs: CAMPAIGN_TICK_INTERVAL_MS,
  });
  campaignScheduler.start();
  const server: ServerType = await new Promise((resolve) => {
    const instance = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () =>
      resolve(instance),
    );
  });
  // The voice node shares this process and the same services; without a Twilio account configured it
  // uses a generated stand-in account so a simulated caller (npm run call:demo) can place signed calls.
  const voiceEnv = loadConfig(voiceConfigSchema);
  const devAccount =
    voiceEnv.TWILIO_ACCOUNT_SID && voiceEnv.TWILIO_AUTH_TOKEN
      ? null
      : await loadOrCreateVoiceDevAccount(config.LUMAY_DATA_DIR);
  const voiceConfig = {
    ...voiceEnv,
    VOICE_PORT: config.VOICE_PORT,
    PUBLIC_BASE_URL: voiceEnv.PUBLIC_BASE_URL ?? `https://localhost:${config.VOICE_PORT}`,
    ...(devAccount
      ? { TWILIO_ACCOUNT_SID: devAccount.accountSid, TWILIO_AUTH_TOKEN: devAccount.authToken }
      : {}),
  };
  const voice = await startVoiceRuntime({
    config: voiceConfig,
    core: createServices(deps),
    db: database.db,
    bus: deps.bus,
    host: config.HOST,
  });

  const base = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
  const generated: string[] = [];
  if (report.admin.generatedPassword) {
    generated.push(`platform admin: ${report.admin.email} / ${report.admin.generatedPassword}`);
  }
  if (report.demo?.generatedPassword) {
    generated.push(`demo owner:     ${report.demo.email} / ${report.demo.generatedPassword}`);
  }
  const credentialsFile = generated.length
    ? await saveFirstRunCredentials(config.LUMAY_DATA_DIR, generated)
    : undefined;
  console.log(
    [
      '',
      'LuMay is running (embedded mode)',
      `  management API   ${base}`,
      `  API docs         ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
      `  readiness        ${base}/readyz`,
      `  voice node       http://${config.HOST}:${voice.port}/healthz   (Twilio webhooks: ${voiceConfig.PUBLIC_BASE_URL}/twilio/voice)`,
      `  demo phone line  +15550100000 → demo agent   (try it: npm run call:demo)`,
      `  database         ${config.DATABASE_URL ? 'Postgres (DATABASE_URL)' : `PGlite in ${config.LUMAY_DATA_DIR}`}`,
      '',
      `  platform admin   ${report.admin.email}`,
      `  demo tenant      ${report.demo?.tenantId ?? '-'} (owner ${report.demo?.email ?? '-'})`,
      ...(generated.length
        ? [
            '',
            '  First start: generated passwords (shown once, also saved to',
            `  ${credentialsFile}):`,
            ...generated.map((line) => `    ${line}`),
          ]
        : [
            `  passwords: as set in LUMAY_ADMIN_PASSWORD / LUMAY_DEMO_PASSWORD, or see ${config.LUMAY_DATA_DIR}/first-run-credentials.txt`,
          ]),
      '',
      '  Log in:',
      `    curl -s ${base}/v1/auth/login -H 'content-type: application/json' \\`,
      `      -d '{"email":"${report.demo?.email ?? report.admin.email}","password":"<password>"}'`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: shutting down`);
    await voice.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sweeper.stop();
    await campaignScheduler.stop();
    await relay.stop();
    await deps.bus.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('LuMay failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
