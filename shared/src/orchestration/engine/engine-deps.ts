import type { Clock } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { LanguageModel, ModelCallHooks, RetrievedChunk } from '../../intelligence/index.ts';
import type { Database } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import type { FlowDefinition } from '../flows/definition.ts';
import type { ToolRegistry } from '../tools/index.ts';
import type { RecordedConversationEvent } from './events.ts';

/** The flow version a new conversation is pinned to. */
export interface ResolvedFlow {
  readonly flowId: string;
  readonly version: number;
  readonly definition: FlowDefinition;
}

/** What the intent port answers. */
export interface IntentAnswer {
  readonly intent: string;
  readonly confidence: number | null;
  readonly source: string;
}

/**
 * The engine's ports, injected by the composition root. Only `db`, `agents`, `tools` are required;
 * everything else has a working default (offline model, no retrieval, the lexical intent matcher).
 */
export interface EngineDeps {
  readonly db: Database;
  /** Loads an agent of the caller's tenant (404 when missing). */
  readonly agents: { get(context: RequestContext, agentId: string): Promise<AgentView> };
  /**
   * The flow version for a new conversation of `agent` on `channel` (pinned per channel, else the
   * published one); null when the agent has no flow (the conversation is then a plain LLM chat).
   */
  readonly resolveFlow?: (
    context: RequestContext,
    agent: AgentView,
    channel: string,
  ) => Promise<ResolvedFlow | null>;
  /** The agent's model chain; defaults to the offline model. */
  readonly models?: (context: RequestContext, agent: AgentView) => Promise<readonly LanguageModel[]>;
  /** Retrieval over knowledge bases for llm nodes that name some; without it llm nodes get no context. */
  readonly retrieve?: (
    context: RequestContext,
    knowledgeBaseIds: readonly string[],
    query: string,
  ) => Promise<readonly RetrievedChunk[]>;
  /** Intent classification; the engine falls back to matching route names lexically. */
  readonly classify?: (context: RequestContext, agent: AgentView, text: string) => Promise<IntentAnswer>;
  readonly tools: ToolRegistry;
  readonly clock?: Clock;
  /** Receives every event after it is committed; must not throw (errors are swallowed). */
  readonly onEvent?: (event: RecordedConversationEvent) => void;
  /** Hooks (guardrails, redaction) applied to every model call of the engine. */
  readonly modelCallHooks?: ModelCallHooks;
  /** Whether model calls are priced into `model_calls` (default true). */
  readonly recordCosts?: boolean;
  /** How long after a turn's deadline another instance may take it over (default 5 s). */
  readonly leaseGraceMs?: number;
  /** This engine instance's id (default: random); leases name their owner. */
  readonly instanceId?: string;
}
