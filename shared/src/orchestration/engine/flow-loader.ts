import { and, eq } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import { FlowDefinition, type FlowNode } from '../flows/definition.ts';
import { chatFlowFor } from './chat-flow.ts';
import { parseState } from './state.ts';
import { tenantScope } from './tenant-scope.ts';

/**
 * The `flow_version` of a conversation that runs a snapshot of a flow's draft (test runs). Published
 * versions start at 1; the snapshot itself is in the conversation's state (`flowSnapshot`).
 */
export const DRAFT_FLOW_VERSION = 0;

/** A flow ready to run: the definition and its nodes by id. */
export interface LoadedFlow {
  readonly definition: FlowDefinition;
  readonly nodes: ReadonlyMap<string, FlowNode>;
}

/** Which flow a new conversation runs instead of the agent's pinned one: a version, or the draft. */
export interface FlowOverride {
  readonly flowId: string;
  readonly version: number | 'draft';
  /**
   * For `draft`: the draft as the caller already read (and validated) it, so that every conversation
   * of a test run runs the same snapshot. Read from the flow when absent.
   */
  readonly definition?: FlowDefinition | undefined;
}

/** A definition with its nodes indexed by id. */
export function indexFlow(definition: FlowDefinition): LoadedFlow {
  return { definition, nodes: new Map(definition.nodes.map((node) => [node.id, node])) };
}

/**
 * The flow an override names: a published version (404 when it does not exist) or the current draft
 * (its version is {@link DRAFT_FLOW_VERSION}). A draft that does not match the schema is a 409.
 */
export async function loadFlowOverride(
  db: Database,
  context: RequestContext,
  override: FlowOverride,
): Promise<{ flowId: string; version: number; definition: FlowDefinition }> {
  const { flowId, version } = override;
  if (version === 'draft' && override.definition) {
    return { flowId, version: DRAFT_FLOW_VERSION, definition: override.definition };
  }
  const stored = await db.withTenant(tenantScope(context), async (tx) => {
    if (version === 'draft') {
      const [flow] = await tx
        .select({ draft: tables.flows.draft })
        .from(tables.flows)
        .where(eq(tables.flows.id, flowId));
      return flow?.draft;
    }
    const [row] = await tx
      .select({ definition: tables.flowVersions.definition })
      .from(tables.flowVersions)
      .where(and(eq(tables.flowVersions.flowId, flowId), eq(tables.flowVersions.version, version)));
    return row?.definition;
  });
  if (stored === undefined) {
    throw new AppError(
      'not_found',
      version === 'draft' ? 'Flow not found' : `Flow ${flowId} version ${version} not found`,
    );
  }
  const parsed = FlowDefinition.safeParse(stored);
  if (!parsed.success) {
    throw new AppError(
      'conflict',
      `Flow ${flowId} ${version === 'draft' ? 'draft' : `version ${version}`} is not a valid flow`,
    );
  }
  return { flowId, version: version === 'draft' ? DRAFT_FLOW_VERSION : version, definition: parsed.data };
}

/**
 * Loads the flow a conversation is pinned to. Published versions are immutable, so parsed versions
 * are cached (per tenant, flow and version; bounded). Draft snapshots are read from the
 * conversation's own state and never cached.
 */
export function createFlowLoader(db: Database) {
  const cache = new Map<string, LoadedFlow>();
  return {
    async load(
      context: RequestContext,
      pin: { flowId: string | null; flowVersion: number | null; state?: unknown },
      agent: AgentView,
    ): Promise<LoadedFlow> {
      if (pin.flowId === null || pin.flowVersion === null) return indexFlow(chatFlowFor(agent));
      const { flowId, flowVersion } = pin;
      if (flowVersion === DRAFT_FLOW_VERSION) {
        const snapshot = FlowDefinition.safeParse(parseState(pin.state).flowSnapshot);
        if (!snapshot.success)
          throw new AppError('conflict', `The draft snapshot of flow ${flowId} is missing or invalid`);
        return indexFlow(snapshot.data);
      }
      const key = `${context.tenantId}:${flowId}:${flowVersion}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const [row] = await db.withTenant(tenantScope(context), (tx) =>
        tx
          .select({ definition: tables.flowVersions.definition })
          .from(tables.flowVersions)
          .where(and(eq(tables.flowVersions.flowId, flowId), eq(tables.flowVersions.version, flowVersion))),
      );
      if (!row) throw new AppError('conflict', `Flow ${flowId} version ${flowVersion} no longer exists`);
      const parsed = FlowDefinition.safeParse(row.definition);
      if (!parsed.success)
        throw new AppError('conflict', `Flow ${flowId} version ${flowVersion} is not a valid flow`);
      const loaded = indexFlow(parsed.data);
      if (cache.size >= 500) cache.clear();
      cache.set(key, loaded);
      return loaded;
    },
  };
}

export type FlowLoader = ReturnType<typeof createFlowLoader>;
