import type { KnowledgeServicesOptions } from '../intelligence/index.ts';
import { createKnowledgeServices } from '../intelligence/index.ts';
import { createVoiceServices } from '../interface/index.ts';
import {
  createAgentService,
  createDemoTools,
  createFlowBuilder,
  createFlowService,
} from '../orchestration/index.ts';
import type { Cache, Database } from '../platform/index.ts';
import { createModelServices, type ModelDeps } from './model-services.ts';
import { createOrchestrationServices, type OrchestrationDeps } from './orchestration-services.ts';

/** What both services (management API and voice node) need to run agents: data, cache, models, tools. */
export interface CoreServiceDeps extends ModelDeps, OrchestrationDeps {
  db: Database;
  cache: Cache;
  /** Knowledge bases and RAG: embedding registry, URL policy, upload limit. Defaults: offline embeddings. */
  knowledge?: KnowledgeServicesOptions;
}

/**
 * The agent-running services shared by both composition roots: agents, knowledge, models, the
 * conversation engine with its conversation/approval/handoff services, flows and the flow builder.
 * The management API adds its web-only services (sessions, members, API keys…) on top; the voice node
 * uses these as they are, so a call and a chat run the very same engine wiring.
 */
export function createCoreServices(deps: CoreServiceDeps) {
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
  // The voice channel's data side: phone numbers, calls, the voice node's call store, campaigns.
  const voice = createVoiceServices({ db: deps.db, clock: deps.clock });
  return { agents, knowledge, ...models, ...orchestration, flows, flowBuilder, ...voice };
}

export type CoreServices = ReturnType<typeof createCoreServices>;
