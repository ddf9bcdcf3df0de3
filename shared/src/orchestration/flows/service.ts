import { and, desc, eq, ilike, lt, sql } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, enqueueEvent, type Tx, tables } from '../../platform/index.ts';
import type { FlowDefinition } from './definition.ts';
import {
  assertAgentExists,
  contentHash,
  type FlowRow,
  type FlowView,
  findFlow,
  loadValidationContext,
  normaliseDefinition,
  tenantScope,
  toFlowView,
  toVersionView,
} from './flow-records.ts';
import {
  type DiffSide,
  diffSides,
  findVersion,
  listVersions,
  publishFlow,
  rollbackFlow,
} from './publishing.ts';
import { validateParsedFlow } from './validate.ts';
import type { FlowValidationResult } from './validation-types.ts';

/** A flow with the validation of its draft (computed on read, against the current tools, agents, intents). */
export type FlowWithFindings = FlowView & FlowValidationResult;

export interface FlowInput {
  name: string;
  description?: string | null | undefined;
  agentId?: string | null | undefined;
  /** The definition as authored; it must pass the schema (else 400), other findings are returned. */
  definition: unknown;
}

export interface FlowPatch {
  name?: string | undefined;
  description?: string | null | undefined;
  agentId?: string | null | undefined;
  definition?: unknown;
}

export interface FlowFilters {
  limit: number;
  cursor?: string | undefined;
  agentId?: string | undefined;
  /** Case-insensitive substring of the name. */
  q?: string | undefined;
}

export interface FlowServiceOptions {
  /** The tools flows may call (a `ToolRegistry` or a `Set` of names). */
  readonly tools: { has(name: string): boolean };
}

/** A version number from path text: 1 to 9,999,999 (400 otherwise). */
export function parseVersionNumber(text: string): number {
  if (!/^[1-9]\d{0,6}$/.test(text)) {
    throw new AppError('validation_failed', 'version must be a positive whole number', {
      details: {
        location: 'param',
        issues: [{ path: 'version', message: 'must be a positive whole number' }],
      },
    });
  }
  return Number(text);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/** What the audit log keeps of a flow: its fields and the draft's hash (the draft itself can be large). */
async function auditView(row: FlowRow) {
  const { draft: _draft, ...rest } = toFlowView(row);
  return { ...rest, draftHash: await contentHash(row.draft as FlowDefinition) };
}

/**
 * Conversation flows: a draft that is edited (optimistically, by `draftRevision`) and validated on every
 * save, and immutable published versions. Drafts may be saved with semantic findings (errors included) so
 * work in progress is never lost; a draft that does not match the schema is refused (400), and publishing
 * requires zero errors. Every change is audited; publish and rollback also emit `config.changed`.
 */
export function createFlowService(db: Database, options: FlowServiceOptions) {
  const withFindings = async (tx: Tx, row: FlowRow): Promise<FlowWithFindings> => {
    const view = toFlowView(row);
    const definition = normaliseDefinition(row.draft);
    const validationContext = await loadValidationContext(tx, definition, row.agentId, options.tools);
    return { ...view, ...validateParsedFlow(definition, validationContext) };
  };

  return {
    async create(context: RequestContext, input: FlowInput): Promise<FlowWithFindings> {
      const definition = normaliseDefinition(input.definition);
      return db.withTenant(tenantScope(context), async (tx) => {
        if (input.agentId) await assertAgentExists(tx, input.agentId);
        const [row] = await tx
          .insert(tables.flows)
          .values({
            id: newId('flow'),
            tenantId: context.tenantId,
            agentId: input.agentId ?? null,
            name: input.name,
            description: input.description ?? null,
            draft: definition as unknown as Record<string, unknown>,
            createdBy: context.actor.id,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        await appendAudit(tx, context, {
          action: 'flow.create',
          resourceType: 'flow',
          resourceId: row.id,
          after: await auditView(row),
        });
        return withFindings(tx, row);
      });
    },

    async get(context: RequestContext, id: string): Promise<FlowWithFindings> {
      return db.withTenant(tenantScope(context), async (tx) => withFindings(tx, await findFlow(tx, id)));
    },

    async list(context: RequestContext, filters: FlowFilters) {
      return db.withTenant(tenantScope(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.flows)
          .where(
            and(
              eq(tables.flows.tenantId, context.tenantId),
              filters.cursor ? lt(tables.flows.id, filters.cursor) : undefined,
              filters.agentId ? eq(tables.flows.agentId, filters.agentId) : undefined,
              filters.q ? ilike(tables.flows.name, `%${escapeLike(filters.q)}%`) : undefined,
            ),
          )
          .orderBy(desc(tables.flows.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toFlowView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    /** Updates the draft and/or its fields; 409 when `draftRevision` is not the current one. */
    async update(
      context: RequestContext,
      id: string,
      patch: FlowPatch,
      draftRevision: number,
    ): Promise<FlowWithFindings> {
      const definition = patch.definition === undefined ? undefined : normaliseDefinition(patch.definition);
      return db.withTenant(tenantScope(context), async (tx) => {
        const before = await findFlow(tx, id, true);
        if (before.draftRevision !== draftRevision) {
          throw new AppError(
            'conflict',
            `The draft is at revision ${before.draftRevision}, not ${draftRevision}`,
            {
              details: { draftRevision: before.draftRevision },
            },
          );
        }
        if (patch.agentId) await assertAgentExists(tx, patch.agentId);
        const [row] = await tx
          .update(tables.flows)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.agentId !== undefined ? { agentId: patch.agentId } : {}),
            ...(definition !== undefined ? { draft: definition as unknown as Record<string, unknown> } : {}),
            draftRevision: before.draftRevision + 1,
            updatedAt: new Date(),
          })
          .where(eq(tables.flows.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Flow not found');
        await appendAudit(tx, context, {
          action: 'flow.update',
          resourceType: 'flow',
          resourceId: id,
          before: await auditView(before),
          after: await auditView(row),
        });
        return withFindings(tx, row);
      });
    },

    /** Deletes a flow and its versions; 409 while an agent's `config.flow` still selects it. */
    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(tenantScope(context), async (tx) => {
        const before = await findFlow(tx, id, true);
        const users = await tx
          .select({ id: tables.agents.id })
          .from(tables.agents)
          .where(sql`${tables.agents.config} -> 'flow' ->> 'flowId' = ${id}`)
          .limit(10);
        if (users.length > 0) {
          throw new AppError(
            'conflict',
            `The flow is selected by agent ${users.map((agent) => agent.id).join(', ')}`,
            {
              details: { agentIds: users.map((agent) => agent.id) },
            },
          );
        }
        await tx.delete(tables.flows).where(eq(tables.flows.id, id));
        await appendAudit(tx, context, {
          action: 'flow.delete',
          resourceType: 'flow',
          resourceId: id,
          before: await auditView(before),
        });
        await enqueueEvent(tx, context.tenantId, 'config.changed', { resourceType: 'flow', resourceId: id });
      });
    },

    /** Validates the stored draft against the current tools, agents and intents. */
    async validate(context: RequestContext, id: string): Promise<FlowValidationResult> {
      return db.withTenant(tenantScope(context), async (tx) => {
        const { valid, findings } = await withFindings(tx, await findFlow(tx, id));
        return { valid, findings };
      });
    },

    /** Validates a definition that is not stored (the builder's drafts); schema errors are findings here. */
    async validateDefinition(
      context: RequestContext,
      definition: FlowDefinition,
      agentId: string | null,
    ): Promise<FlowValidationResult> {
      return db.withTenant(tenantScope(context), async (tx) =>
        validateParsedFlow(definition, await loadValidationContext(tx, definition, agentId, options.tools)),
      );
    },

    async publish(context: RequestContext, id: string, input: { note?: string | null | undefined } = {}) {
      return db.withTenant(tenantScope(context), (tx) =>
        publishFlow(tx, context, id, options.tools, input.note ?? null),
      );
    },

    async rollback(
      context: RequestContext,
      id: string,
      version: number,
      input: { restoreDraft?: boolean } = {},
    ) {
      return db.withTenant(tenantScope(context), (tx) =>
        rollbackFlow(tx, context, id, version, input.restoreDraft ?? false),
      );
    },

    async listVersions(
      context: RequestContext,
      id: string,
      page: { limit: number; cursor?: number | undefined },
    ) {
      return db.withTenant(tenantScope(context), (tx) => listVersions(tx, id, page.limit, page.cursor));
    },

    /** One version with its definition; `version` may be raw path text (checked after the flow is found). */
    async getVersion(context: RequestContext, id: string, version: number | string) {
      return db.withTenant(tenantScope(context), async (tx) => {
        const flow = await findFlow(tx, id);
        if (typeof version === 'string') version = parseVersionNumber(version);
        return toVersionView(await findVersion(tx, id, version), flow.publishedVersion, true);
      });
    },

    async diff(context: RequestContext, id: string, from: DiffSide | undefined, to: DiffSide) {
      return db.withTenant(tenantScope(context), (tx) => diffSides(tx, id, from, to));
    },
  };
}

export type FlowService = ReturnType<typeof createFlowService>;
