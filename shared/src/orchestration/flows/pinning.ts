import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import { FlowDefinition } from './definition.ts';
import { tenantScope } from './flow-records.ts';

/*
 * Which flow an agent runs lives in the agent's configuration (set through PATCH /v1/agents/{id}):
 *   config.flow = { flowId: 'flw_…', pins?: { chat?: 3, voice?: 2, … } }
 * Without a pin for a channel the agent runs the flow's published version; a pin holds a channel on a
 * version (e.g. voice stays on v2 while chat moves on). Conversations keep the version they started on.
 */

const channelName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'channel names are lower-case, e.g. chat, voice');

/** The `config.flow` object of an agent. */
export const agentFlowConfigSchema = z.strictObject({
  flowId: z.string().regex(/^flw_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a flow id (flw_…)'),
  pins: z.record(channelName, z.number().int().positive()).optional(),
});
export type AgentFlowConfig = z.infer<typeof agentFlowConfigSchema>;

/** The minimum of an agent this needs (the AgentView fits). */
export interface AgentFlowSource {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A flow version chosen for a conversation. */
export interface ResolvedFlowVersion {
  readonly flowId: string;
  readonly version: number;
  readonly definition: FlowDefinition;
  /** Whether a channel pin chose the version (else the published pointer did). */
  readonly pinned: boolean;
}

/** Reads `config.flow`; null when the agent selects no flow; 409 when it is malformed. */
export function agentFlowConfig(agent: AgentFlowSource): AgentFlowConfig | null {
  const raw = agent.config.flow;
  if (raw === undefined || raw === null) return null;
  const parsed = agentFlowConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('conflict', `The agent's config.flow is invalid: ${z.prettifyError(parsed.error)}`, {
      details: { agentId: agent.id, reason: 'invalid_flow_config' },
    });
  }
  return parsed.data;
}

/**
 * The flow version an agent runs on a channel: the channel's pin, else the flow's published version.
 * Null when the agent selects no flow (`config.flow` absent). 409 when the flow is gone, not published,
 * or the pinned version does not exist, so a misconfiguration is reported rather than guessed around.
 */
export async function resolveFlowVersion(
  db: Database,
  context: RequestContext,
  agent: AgentFlowSource,
  channel: string,
): Promise<ResolvedFlowVersion | null> {
  const config = agentFlowConfig(agent);
  if (!config) return null;
  return db.withTenant(tenantScope(context), async (tx) => {
    const [flow] = await tx
      .select({ id: tables.flows.id, publishedVersion: tables.flows.publishedVersion })
      .from(tables.flows)
      .where(eq(tables.flows.id, config.flowId));
    const details = { agentId: agent.id, flowId: config.flowId, channel };
    if (!flow) {
      throw new AppError('conflict', `The agent's flow ${config.flowId} does not exist`, {
        details: { ...details, reason: 'flow_not_found' },
      });
    }
    const pin = config.pins?.[channel];
    const version = pin ?? flow.publishedVersion;
    if (version === null || version === undefined) {
      throw new AppError('conflict', `Flow ${config.flowId} is not published`, {
        details: { ...details, reason: 'flow_not_published' },
      });
    }
    const [row] = await tx
      .select({ definition: tables.flowVersions.definition })
      .from(tables.flowVersions)
      .where(and(eq(tables.flowVersions.flowId, flow.id), eq(tables.flowVersions.version, version)));
    if (!row) {
      throw new AppError(
        'conflict',
        `Flow ${config.flowId} has no version ${version} (pinned for ${channel})`,
        {
          details: { ...details, version, reason: 'version_not_found' },
        },
      );
    }
    return {
      flowId: flow.id,
      version,
      definition: FlowDefinition.parse(row.definition),
      pinned: pin !== undefined,
    };
  });
}
