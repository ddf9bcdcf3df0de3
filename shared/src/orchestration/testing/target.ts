import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import { TEST_CHANNEL } from '../conversations/index.ts';
import { chatFlowFor } from '../engine/chat-flow.ts';
import { DRAFT_FLOW_VERSION, type FlowOverride } from '../engine/index.ts';
import { FlowDefinition } from '../flows/definition.ts';
import { findFlow, loadValidationContext, tenantScope } from '../flows/flow-records.ts';
import { agentFlowConfig, resolveFlowVersion } from '../flows/pinning.ts';
import { findVersion } from '../flows/publishing.ts';
import { schemaFindings, validateParsedFlow } from '../flows/validate.ts';
import type { FlowFinding } from '../flows/validation-types.ts';
import type { TestTarget } from './model.ts';

/** The target of a run as recorded: what was asked for and the flow and version it resolved to. */
export interface ResolvedTargetRecord {
  readonly type: TestTarget['type'];
  /** Null when the agent has no flow (its conversations are a plain chat). */
  readonly flowId: string | null;
  /** The version run; 0 for a draft snapshot; null for the plain chat flow. */
  readonly version: number | null;
  /** For a draft: the draft revision that ran. */
  readonly draftRevision?: number;
}

/** Everything a run needs to know about its target. */
export interface RunTargetPlan {
  readonly record: ResolvedTargetRecord;
  readonly definition: FlowDefinition;
  /** What the engine runs instead of the agent's pin (undefined: what a new conversation gets). */
  readonly override: FlowOverride | undefined;
  /** Static validation findings of a draft (errors make the run an `error`). */
  readonly findings: readonly FlowFinding[];
}

/**
 * Resolves a run's target before anything runs. Misconfiguration is an error of the request: a flow
 * or version that does not exist (404), an agent without a flow for `draft`/`version`, a flow of
 * another agent, nothing published (409). A draft with validation errors is not: the run records it.
 */
export async function resolveRunTarget(
  db: Database,
  context: RequestContext,
  agent: AgentView,
  target: TestTarget,
  tools: { has(name: string): boolean },
): Promise<RunTargetPlan> {
  const config = agentFlowConfig(agent);
  if (target.type === 'published') {
    if (!config) {
      return {
        record: { type: 'published', flowId: null, version: null },
        definition: chatFlowFor(agent),
        override: undefined,
        findings: [],
      };
    }
    const resolved = await resolveFlowVersion(db, context, agent, TEST_CHANNEL);
    if (!resolved) throw new AppError('conflict', 'The agent selects no flow');
    return {
      record: { type: 'published', flowId: resolved.flowId, version: resolved.version },
      definition: resolved.definition,
      override: { flowId: resolved.flowId, version: resolved.version },
      findings: [],
    };
  }
  const flowId = target.flowId ?? config?.flowId;
  if (!flowId) {
    throw new AppError('conflict', 'The agent selects no flow (config.flow); name one with target.flowId', {
      details: { agentId: agent.id, reason: 'agent_without_flow' },
    });
  }
  return db.withTenant(tenantScope(context), async (tx) => {
    const flow = await findFlow(tx, flowId);
    if (flow.agentId !== null && flow.agentId !== agent.id && config?.flowId !== flowId) {
      throw new AppError('conflict', `Flow ${flowId} belongs to another agent`, {
        details: { flowId, agentId: flow.agentId, reason: 'flow_of_another_agent' },
      });
    }
    if (target.type === 'version') {
      const row = await findVersion(tx, flowId, target.version);
      const definition = FlowDefinition.parse(row.definition);
      return {
        record: { type: 'version', flowId, version: target.version },
        definition,
        override: { flowId, version: target.version },
        findings: [],
      };
    }
    const record = {
      type: 'draft' as const,
      flowId,
      version: DRAFT_FLOW_VERSION,
      draftRevision: flow.draftRevision,
    };
    const parsed = FlowDefinition.safeParse(flow.draft);
    if (!parsed.success) {
      const definition = chatFlowFor(agent);
      return { record, definition, override: undefined, findings: schemaFindings(flow.draft, parsed.error) };
    }
    const validation = validateParsedFlow(
      parsed.data,
      await loadValidationContext(tx, parsed.data, flow.agentId, tools),
    );
    return {
      record,
      definition: parsed.data,
      override: { flowId, version: 'draft', definition: parsed.data },
      findings: validation.findings,
    };
  });
}
