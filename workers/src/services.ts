import {
  type Cache,
  createAgentService,
  createApiKeyService,
  createAuditService,
  createDemoTools,
  createFlowBuilder,
  createFlowService,
  createKnowledgeServices,
  createMemberService,
  createRateLimiter,
  createSessionService,
  createTenantService,
  type Database,
  type EventBus,
  type KnowledgeServicesOptions,
  type PasswordHasher,
  type RateLimiter,
  type TokenService,
} from '@lumay/shared';
import { createModelServices, type ModelDeps } from './model-services.ts';
import { createOrchestrationServices, type OrchestrationDeps } from './orchestration-services.ts';

export type { ModelDeps } from './model-services.ts';
export type { OrchestrationDeps } from './orchestration-services.ts';

/** What a composition root (edge, node, embedded) hands to `buildApp` (model deps: see model-services.ts). */
export interface AppDeps extends ModelDeps, OrchestrationDeps {
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
  /** Knowledge bases and RAG: embedding registry, URL policy, upload limit. Defaults: offline embeddings. */
  knowledge?: KnowledgeServicesOptions;
}

export function createServices(deps: AppDeps) {
  const rateLimiter = deps.rateLimiter ?? createRateLimiter(deps.cache);
  const agents = createAgentService(deps.db, deps.cache);
  const knowledge = createKnowledgeServices(deps.db, { registry: deps.modelRegistry, ...deps.knowledge });
  const models = createModelServices(deps);
  const orchestration = createOrchestrationServices(deps, { agents, knowledge, ...models });
  // Flows validate against the same tool registry the engine calls.
  const flows = createFlowService(deps.db, { tools: orchestration.tools });
  const flowBuilder = createFlowBuilder({
    flows,
    agents,
    models: models.modelProviderDeps,
    ...(deps.tools ? {} : { toolNames: createDemoTools().map((tool) => tool.name) }),
  });
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
    agents,
    audit: createAuditService(deps.db),
    knowledge,
    ...models,
    ...orchestration,
    flows,
    flowBuilder,
  };
}

export type Services = ReturnType<typeof createServices>;
