import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  ExecutionContext,
  Hyperdrive,
  Queue,
  ScheduledController,
} from '@cloudflare/workers-types/latest';
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  type Cache,
  ConfigError,
  createInProcessBus,
  createMemoryCache,
  createOutboxRelay,
  createPasswordHasher,
  createPostgresDatabase,
  createSecretKeyring,
  createTokenService,
  createUpstashCache,
  type Database,
  type EventBus,
  type EventEnvelope,
  newId,
  parseConfig,
} from '@lumay/shared';
import { buildApp } from './app.ts';
import { type EdgeConfig, edgeConfigSchema } from './config.ts';
import type { AppEnv } from './env.ts';
import { errorBody } from './errors.ts';
import type { AppDeps } from './services.ts';

const VERSION = '0.1.0';

/** The bindings, vars and secrets the Worker reads (see wrangler.toml). */
export interface EdgeEnv {
  /** Hyperdrive config binding; when bound it wins over DATABASE_URL. */
  HYPERDRIVE?: Hyperdrive;
  /** Queues producer; when bound, committed outbox rows are relayed to it. */
  EVENTS?: Queue<EventEnvelope>;
  [variable: string]: unknown;
}

interface EdgeRuntime {
  app: OpenAPIHono<AppEnv>;
  config: EdgeConfig;
  /** Reaches the current invocation's own database (see `requestScopedDatabase`). */
  db: Database;
  /** Opens a connection pool for one invocation (a request or a cron run). */
  openDatabase: () => Database;
}

/** The database of the invocation being served: opened on first use, closed after the response. */
interface InvocationDatabase {
  open: () => Database;
  database?: Database;
}

const currentInvocation = new AsyncLocalStorage<InvocationDatabase>();

/**
 * workerd forbids using an I/O object (a socket) created for one request from another request, so
 * postgres.js connections cannot be pooled across requests of an isolate. The app (routes, keys,
 * cache) is built once; its database is this delegate, which reaches the current invocation's pool.
 * Behind Hyperdrive a per-request connection is cheap: Hyperdrive keeps the pool to Postgres warm.
 */
function requestScopedDatabase(): Database {
  const current = (): Database => {
    const invocation = currentInvocation.getStore();
    if (!invocation) throw new Error('The database was used outside a request');
    invocation.database ??= invocation.open();
    return invocation.database;
  };
  return {
    dialect: 'postgres',
    withTenant: (scope, work) => current().withTenant(scope, work),
    withoutTenant: (userId, work) => current().withoutTenant(userId, work),
    ping: () => current().ping(),
    close: async () => {},
  };
}

/**
 * The cache: Upstash over REST when UPSTASH_REDIS_REST_URL/TOKEN are set (shared by every isolate and
 * by Node instances), else a per-isolate LRU: rate limits and cached agents then hold per isolate.
 */
function createEdgeCache(config: EdgeConfig): Cache {
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
    return createUpstashCache({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      timeoutMs: config.CACHE_TIMEOUT_MS,
    });
  }
  return createMemoryCache();
}

/**
 * Cloudflare Queues as the relay's bus: `send` resolves once the queue has durably accepted the
 * message. Consumers are queue-consumer Workers, so this producer never subscribes.
 */
function createQueueBus(queue: Queue<EventEnvelope>): EventBus {
  return {
    name: 'cloudflare-queues',
    async publish(event) {
      await queue.send(event, { contentType: 'json' });
    },
    async subscribe() {
      throw new Error('Cloudflare Queues are consumed by a queue consumer Worker, not through subscribe()');
    },
    async close() {},
  };
}

async function createRuntime(config: EdgeConfig, viaHyperdrive: boolean): Promise<EdgeRuntime> {
  // Hyperdrive pools in transaction mode, so no prepared statements; tenant context is already
  // transaction-local (set_config(..., true)), which is what makes transaction pooling safe.
  const openDatabase = () =>
    createPostgresDatabase({
      url: config.DATABASE_URL,
      max: config.DATABASE_POOL_MAX,
      prepare: !viaHyperdrive,
    });
  const db = requestScopedDatabase();
  const deps: AppDeps = {
    db,
    cache: createEdgeCache(config),
    // Services write events to the outbox inside their transaction; nothing subscribes in a Worker.
    bus: createInProcessBus(),
    tokens: await createTokenService({
      privateKeyPem: config.JWT_PRIVATE_KEY,
      publicKeyPem: config.JWT_PUBLIC_KEY,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    }),
    passwords: createPasswordHasher(),
    // Cloudflare sets CF-Connecting-IP on every request and replaces a client-sent one.
    clientIp: (request) => request.headers.get('cf-connecting-ip'),
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    version: VERSION,
    secretsKeyring: await createSecretKeyring(config.LUMAY_SECRETS_KEYS),
    // Workers cannot resolve names; literals and intranet names are checked, and redirects refused.
    allowPrivateModelEndpoints: config.ALLOW_PRIVATE_MODEL_ENDPOINTS,
  };
  return { app: buildApp(deps), config, db, openDatabase };
}

/** One runtime per isolate, rebuilt only when the settings it was built from change. */
let cached: { key: string; runtime: Promise<EdgeRuntime> } | undefined;

/** The string settings of `env`, with DATABASE_URL taken from the Hyperdrive binding when bound. */
function settingsOf(env: EdgeEnv): Record<string, string | undefined> {
  const settings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') settings[name] = value;
  }
  if (env.HYPERDRIVE) settings.DATABASE_URL = env.HYPERDRIVE.connectionString;
  return settings;
}

/** Validates the settings (throwing ConfigError) and returns this isolate's runtime. */
function runtimeFor(env: EdgeEnv): Promise<EdgeRuntime> {
  const settings = settingsOf(env);
  const key = JSON.stringify(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b)));
  if (cached?.key === key) return cached.runtime;
  const config = parseConfig(edgeConfigSchema, settings);
  const entry = { key, runtime: createRuntime(config, Boolean(env.HYPERDRIVE)) };
  cached = entry;
  // A failed build (an unreadable key, say) must not stick: the next request tries again.
  entry.runtime.catch(() => {
    if (cached === entry) cached = undefined;
  });
  return entry.runtime;
}

/** A Worker cannot exit on bad configuration, so it answers 503 naming each offending variable. */
function configurationErrorResponse(error: ConfigError): Response {
  const requestId = newId('request');
  const problems = error.issues.map((issue) => `${issue.variable} ${issue.expected}`).join('; ');
  return Response.json(
    errorBody('service_unavailable', `The API is not configured: ${problems}`, requestId, {
      variables: error.issues.map((issue) => issue.variable),
    }),
    { status: 503, headers: { 'X-Request-Id': requestId, 'Retry-After': '30' } },
  );
}

/** Publishes committed outbox rows to the EVENTS queue; a no-op without the binding. */
async function relayOutbox(runtime: EdgeRuntime, env: EdgeEnv): Promise<void> {
  if (!env.EVENTS) return;
  const relay = createOutboxRelay({
    db: runtime.db,
    bus: createQueueBus(env.EVENTS),
    batchSize: runtime.config.OUTBOX_RELAY_BATCH_SIZE,
  });
  const report = await relay.drain();
  if (report.failed > 0) {
    console.warn(
      JSON.stringify({ level: 'warn', message: 'outbox relay: some events not queued', ...report }),
    );
  }
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/**
 * The edge target: the management API as a Cloudflare Worker, against Postgres through postgres.js
 * (via Hyperdrive in production). The only file that reads the Workers `env`.
 */
export default {
  async fetch(request: Request, env: EdgeEnv, context: ExecutionContext): Promise<Response> {
    let runtime: EdgeRuntime;
    try {
      runtime = await runtimeFor(env);
    } catch (error) {
      if (error instanceof ConfigError) return configurationErrorResponse(error);
      throw error;
    }
    const invocation: InvocationDatabase = { open: runtime.openDatabase };
    let response: Response | undefined;
    try {
      response = await currentInvocation.run(invocation, () => runtime.app.fetch(request, env, context));
      return response;
    } finally {
      const succeededWrite = response !== undefined && response.status < 400 && isWrite(request.method);
      // After the response: relay what this write put in the outbox (the cron run catches the rest),
      // then release this request's connections.
      context.waitUntil(
        currentInvocation.run(invocation, async () => {
          if (succeededWrite) {
            await relayOutbox(runtime, env).catch((error: unknown) => {
              console.warn(
                JSON.stringify({ level: 'warn', message: 'outbox relay failed', error: String(error) }),
              );
            });
          }
          await invocation.database?.close();
        }),
      );
    }
  },

  /** Cron trigger: relays outbox rows that no request relayed (a failed send, a missed waitUntil). */
  async scheduled(_controller: ScheduledController, env: EdgeEnv, context: ExecutionContext): Promise<void> {
    if (!env.EVENTS) return;
    const runtime = await runtimeFor(env);
    const invocation: InvocationDatabase = { open: runtime.openDatabase };
    try {
      await currentInvocation.run(invocation, () => relayOutbox(runtime, env));
    } finally {
      context.waitUntil(currentInvocation.run(invocation, async () => invocation.database?.close()));
    }
  },
};
