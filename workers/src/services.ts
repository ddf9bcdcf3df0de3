import {
  type Cache,
  type CoreServiceDeps,
  createApiKeyService,
  createAuditService,
  createCoreServices,
  createMemberService,
  createRateLimiter,
  createSessionService,
  createTenantService,
  createTestRunService,
  createTestSuiteService,
  type Database,
  type EventBus,
  type PasswordHasher,
  type RateLimiter,
  type TokenService,
} from '@lumay/shared';

export type { ModelDeps, OrchestrationDeps } from '@lumay/shared';

/** What a composition root (edge, node, embedded) hands to `buildApp` (model deps: see shared/src/assembly). */
export interface AppDeps extends CoreServiceDeps {
  db: Database;
  cache: Cache;
  bus: EventBus;
  tokens: TokenService;
  passwords: PasswordHasher;
  /** Defaults to a limiter over `cache`. */
  rateLimiter?: RateLimiter;
  /** How the runtime finds the client address (connection info on Node, CF-Connecting-IP at the edge). */
  clientIp: (request: Request, raw: unknown) => string | null;
  refreshTokenTtlSeconds: number;
  bodyLimitBytes: number;
  version: string;
}

export function createServices(deps: AppDeps) {
  const rateLimiter = deps.rateLimiter ?? createRateLimiter(deps.cache);
  const core = createCoreServices(deps);
  return {
    deps,
    sessions: createSessionService({
      db: deps.db,
      tokens: deps.tokens,
      passwords: deps.passwords,
      rateLimiter,
      refreshTokenTtlSeconds: deps.refreshTokenTtlSeconds,
    }),
    apiKeys: createApiKeyService(deps.db, deps.cache),
    members: createMemberService(deps.db, deps.passwords, deps.cache),
    tenants: createTenantService(deps.db, deps.passwords),
    audit: createAuditService(deps.db),
    // Agent test suites and runs (management API only: the voice node never runs tests).
    testSuites: createTestSuiteService(deps.db),
    testRuns: createTestRunService({
      db: deps.db,
      engine: core.engine,
      agents: core.agents,
      tools: core.tools,
    }),
    ...core,
  };
}

export type Services = ReturnType<typeof createServices>;
