import { type ServerType, serve } from '@hono/node-server';
import {
  createApprovalSweeper,
  createCampaignScheduler,
  createMemoryCache,
  createOutboxRelay,
  createPostgresDatabase,
  createSecretKeyring,
  createTieredCache,
  createTokenService,
  DEFAULT_DOCUMENT_BODY_LIMIT_BYTES,
  registerIngestConsumer,
} from '@lumay/shared';
import {
  createNodeUrlFetcher,
  createPostgresOwner,
  createRabbitMqBus,
  createRedisCache,
  migratePostgres,
} from '@lumay/shared/node';
import { buildApp } from './app.ts';
import { nodeConfigSchema } from './config.ts';
import { subscribeCacheInvalidation } from './consumers.ts';
import { createNodePasswordHasher, loadConfig, nodeClientIp, nodeResolveHost } from './node-runtime.ts';
import { seed } from './seed.ts';
import { createServices } from './services.ts';

const VERSION = '0.1.0';
/** How often due approvals are expired and abandoned turns finished (reads and decisions also do it lazily). */
const APPROVAL_SWEEP_INTERVAL_MS = 30_000;
/** How often running campaigns request their next calls (pacing is per minute, so a few seconds is plenty). */
const CAMPAIGN_TICK_INTERVAL_MS = 5_000;

/**
 * The on-prem target: the same app on @hono/node-server with Postgres, Redis over TCP and RabbitMQ.
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS), drain
 * the outbox relay, then close the bus, cache and database.
 */
async function main(): Promise<void> {
  const config = loadConfig(nodeConfigSchema);
  const ownerUrl = config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
  if (config.RUN_MIGRATIONS) await migratePostgres(ownerUrl);

  const db = createPostgresDatabase({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  // A short-lived in-process tier in front of Redis; Redis pub/sub evicts it in every instance.
  const cache = await createTieredCache(
    createMemoryCache({ maxEntries: 20_000 }),
    createRedisCache({ url: config.REDIS_URL, timeoutMs: config.CACHE_TIMEOUT_MS }),
    { localTtlSeconds: config.LOCAL_CACHE_TTL_SECONDS },
  );
  const bus = createRabbitMqBus({ url: config.AMQP_URL });
  const deps = {
    db,
    cache,
    bus,
    tokens: await createTokenService({
      privateKeyPem: config.JWT_PRIVATE_KEY,
      publicKeyPem: config.JWT_PUBLIC_KEY,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    }),
    passwords: createNodePasswordHasher(),
    clientIp: nodeClientIp(config.TRUST_PROXY),
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    version: VERSION,
    knowledge: { documentBodyLimitBytes: DEFAULT_DOCUMENT_BODY_LIMIT_BYTES },
    secretsKeyring: await createSecretKeyring(config.LUMAY_SECRETS_KEYS),
    allowPrivateModelEndpoints: config.ALLOW_PRIVATE_MODEL_ENDPOINTS,
    resolveHost: nodeResolveHost,
  };
  const services = createServices(deps);

  if (config.LUMAY_ADMIN_EMAIL && config.LUMAY_ADMIN_PASSWORD) {
    const ownerConnection = createPostgresOwner(ownerUrl);
    try {
      await seed(services, db, ownerConnection.owner, {
        adminEmail: config.LUMAY_ADMIN_EMAIL,
        adminPassword: config.LUMAY_ADMIN_PASSWORD,
      });
    } finally {
      await ownerConnection.close();
    }
  }

  await subscribeCacheInvalidation(bus, cache);
  await registerIngestConsumer(bus, {
    db,
    registry: services.knowledge.registry,
    fetcher: createNodeUrlFetcher(),
  });
  const relay = createOutboxRelay({ db, bus, intervalMs: config.OUTBOX_RELAY_INTERVAL_MS });
  relay.start();
  // The sweeper lists tenants through the owner connection (the app role sees one tenant at a time).
  const sweeperOwner = createPostgresOwner(ownerUrl);
  const sweeper = createApprovalSweeper({
    approvals: services.approvals,
    tenantIds: async () =>
      (await sweeperOwner.owner<{ id: string }>("select id from tenants where status = 'active'")).map(
        (row) => row.id,
      ),
    intervalMs: APPROVAL_SWEEP_INTERVAL_MS,
  });
  sweeper.start();
  // Places campaign calls (outbound.call.requested through the outbox) inside their windows, paced.
  const campaignScheduler = createCampaignScheduler({
    db,
    tenantIds: async () =>
      (await sweeperOwner.owner<{ id: string }>("select id from tenants where status = 'active'")).map(
        (row) => row.id,
      ),
    intervalMs: CAMPAIGN_TICK_INTERVAL_MS,
  });
  campaignScheduler.start();

  const app = buildApp(deps);
  const server: ServerType = await new Promise((resolve) => {
    const instance = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () =>
      resolve(instance),
    );
  });
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'LuMay API (node) listening',
      host: config.HOST,
      port: config.PORT,
    }),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      JSON.stringify({
        level: 'info',
        message: `${signal}: draining`,
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      }),
    );
    const deadline = setTimeout(() => {
      console.error(JSON.stringify({ level: 'error', message: 'shutdown deadline passed; exiting' }));
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    });
    await sweeper.stop();
    await campaignScheduler.stop();
    await sweeperOwner.close();
    await relay.stop();
    await relay.drain().catch(() => undefined);
    await bus.close();
    await cache.close();
    await db.close();
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('LuMay (node) failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
