import { type Clock, isAppError } from '../core/index.ts';
import {
  type IntentClassificationService,
  type KnowledgeServices,
  type ModelProviderDeps,
  type RetrievedChunk,
  resolveAgentModels,
} from '../intelligence/index.ts';
import {
  type AgentService,
  createApprovalService,
  createConversationEngine,
  createConversationService,
  createDemoTools,
  createHandoffService,
  createInMemoryToolRegistry,
  type RecordedConversationEvent,
  resolveFlowVersion,
  type ToolRegistry,
} from '../orchestration/index.ts';
import type { Database } from '../platform/index.ts';

/** Orchestration settings a composition root may hand to `buildApp`; all optional. */
export interface OrchestrationDeps {
  /** The tools flows call; defaults to the in-memory registry with the DEMO tools. */
  tools?: ToolRegistry;
  /** The clock of approvals expiry and turn leases (tests inject one). */
  clock?: Clock;
  /** Receives every committed engine event (analytics). */
  onConversationEvent?: (event: RecordedConversationEvent) => void;
}

/** Passages retrieved per llm node, across its knowledge bases. */
const RETRIEVED_PASSAGES = 5;

/**
 * The engine and the conversation, approval and handoff services, wired from the app's other
 * services: agent model chains (`config.llm`), intent classification, RAG retrieval, the tool registry.
 */
export function createOrchestrationServices(
  deps: OrchestrationDeps & { db: Database },
  services: {
    agents: AgentService;
    knowledge: KnowledgeServices;
    modelProviderDeps: ModelProviderDeps;
    intentClassifier: IntentClassificationService;
  },
) {
  const { db } = deps;
  const tools = deps.tools ?? createInMemoryToolRegistry(createDemoTools());
  const engine = createConversationEngine({
    db,
    agents: services.agents,
    tools,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.onConversationEvent ? { onEvent: deps.onConversationEvent } : {}),
    resolveFlow: (context, agent, channel) => resolveFlowVersion(db, context, agent, channel),
    models: async (context, agent) => {
      const { secrets, registry, endpointPolicy } = services.modelProviderDeps;
      return (await resolveAgentModels(db, secrets, registry, context, agent, { endpointPolicy })).models;
    },
    classify: (context, agent, text) => services.intentClassifier.classify(context, agent, text),
    retrieve: async (context, knowledgeBaseIds, query) => {
      const found: RetrievedChunk[] = [];
      for (const knowledgeBaseId of knowledgeBaseIds) {
        try {
          const result = await services.knowledge.retrieval.query(context, knowledgeBaseId, {
            query,
            topK: RETRIEVED_PASSAGES,
          });
          found.push(...result.results);
        } catch (error) {
          // A knowledge base deleted after the flow was published answers without context.
          if (!(isAppError(error) && error.code === 'not_found')) throw error;
        }
      }
      return found.sort((left, right) => right.score - left.score).slice(0, RETRIEVED_PASSAGES);
    },
  });
  return {
    tools,
    engine,
    conversations: createConversationService(db, engine),
    approvals: createApprovalService({ db, engine, ...(deps.clock ? { clock: deps.clock } : {}) }),
    handoffs: createHandoffService(db, engine),
  };
}
