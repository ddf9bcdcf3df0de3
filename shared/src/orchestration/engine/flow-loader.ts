import { and, eq } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import { FlowDefinition, type FlowNode } from '../flows/definition.ts';
import { chatFlowFor } from './chat-flow.ts';
import { tenantScope } from './tenant-scope.ts';

/** A flow ready to run: the definition and its nodes by id. */
export interface LoadedFlow {
  readonly definition: FlowDefinition;
  readonly nodes: ReadonlyMap<string, FlowNode>;
}

/** A definition with its nodes indexed by id. */
export function indexFlow(definition: FlowDefinition): LoadedFlow {
  return { definition, nodes: new Map(definition.nodes.map((node) => [node.id, node])) };
}

/**
 * Loads the flow a conversation is pinned to. Published versions are immutable, so parsed versions
 * are cached (per tenant, flow and version; bounded).
 */
export function createFlowLoader(db: Database) {
  const cache = new Map<string, LoadedFlow>();
  return {
    async load(
      context: RequestContext,
      pin: { flowId: string | null; flowVersion: number | null },
      agent: AgentView,
    ): Promise<LoadedFlow> {
      if (pin.flowId === null || pin.flowVersion === null) return indexFlow(chatFlowFor(agent));
      const key = `${context.tenantId}:${pin.flowId}:${pin.flowVersion}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const { flowId, flowVersion } = pin;
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
