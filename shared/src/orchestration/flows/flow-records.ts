import { and, eq, inArray } from 'drizzle-orm';
import { AppError, canonicalJson, sha256Hex } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Tx, tables } from '../../platform/index.ts';
import { FlowDefinition } from './definition.ts';
import { schemaFindings } from './validate.ts';
import type { FlowFinding, FlowValidationContext } from './validation-types.ts';

export type FlowRow = typeof tables.flows.$inferSelect;
export type FlowVersionRow = typeof tables.flowVersions.$inferSelect;

/** A flow as the API shows it. `draft` is the normalised definition (defaults applied). */
export interface FlowView {
  id: string;
  agentId: string | null;
  name: string;
  description: string | null;
  draft: FlowDefinition;
  draftRevision: number;
  publishedVersion: number | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One published version; the definition is included when a single version is read. */
export interface FlowVersionView {
  id: string;
  flowId: string;
  version: number;
  contentHash: string;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
  /** Whether the flow's published pointer is at this version. */
  published: boolean;
  definition?: FlowDefinition;
}

export function toFlowView(row: FlowRow): FlowView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    description: row.description,
    draft: row.draft as FlowDefinition,
    draftRevision: row.draftRevision,
    publishedVersion: row.publishedVersion,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toVersionView(row: FlowVersionRow, publishedVersion: number | null, withDefinition: boolean) {
  const view: FlowVersionView = {
    id: row.id,
    flowId: row.flowId,
    version: row.version,
    contentHash: row.contentHash,
    note: row.note,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    published: row.version === publishedVersion,
  };
  if (withDefinition) view.definition = row.definition as FlowDefinition;
  return view;
}

/**
 * Parses a definition as authored into its normalised form (defaults applied, unknown keys refused).
 * Schema errors are a 400 whose details list findings that name the node.
 */
export function normaliseDefinition(input: unknown): FlowDefinition {
  const parsed = FlowDefinition.safeParse(input);
  if (parsed.success) return parsed.data;
  const findings = schemaFindings(input, parsed.error);
  throw new AppError(
    'validation_failed',
    `Invalid flow definition: ${findings[0]?.message ?? 'schema error'}`,
    {
      details: { findings },
    },
  );
}

/** The content hash of a normalised definition: SHA-256 of its canonical JSON. */
export function contentHash(definition: FlowDefinition): Promise<string> {
  return sha256Hex(canonicalJson(definition));
}

export const tenantScope = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

/** Loads a flow of the current tenant (RLS also filters), optionally locking it for the transaction. */
export async function findFlow(tx: Tx, id: string, lock = false): Promise<FlowRow> {
  const query = tx.select().from(tables.flows).where(eq(tables.flows.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found', 'Flow not found');
  return row;
}

/** Fails with a 400 naming the field when `agentId` is not an agent of the tenant. */
export async function assertAgentExists(tx: Tx, agentId: string): Promise<void> {
  const [row] = await tx
    .select({ id: tables.agents.id })
    .from(tables.agents)
    .where(eq(tables.agents.id, agentId));
  if (!row) {
    throw new AppError('validation_failed', `agentId: agent ${agentId} does not exist`, {
      details: { issues: [{ path: 'agentId', message: 'agent not found' }] },
    });
  }
}

/**
 * What a definition is validated against, loaded in the caller's transaction: the tool registry, the
 * tenant's agents named by delegate nodes, and the owning agent's intents.
 */
export async function loadValidationContext(
  tx: Tx,
  definition: FlowDefinition,
  agentId: string | null,
  tools: { has(name: string): boolean },
): Promise<FlowValidationContext> {
  const delegates = [
    ...new Set(definition.nodes.flatMap((node) => (node.type === 'delegate' ? [node.agentId] : []))),
  ];
  const agents = delegates.length
    ? await tx
        .select({ id: tables.agents.id })
        .from(tables.agents)
        .where(inArray(tables.agents.id, delegates))
    : [];
  let knownIntents: Set<string> | undefined;
  if (agentId !== null) {
    const intents = await tx
      .select({ name: tables.intents.name })
      .from(tables.intents)
      .where(and(eq(tables.intents.agentId, agentId)));
    knownIntents = new Set(intents.map((intent) => intent.name));
  }
  return {
    knownTools: tools,
    knownAgentIds: new Set(agents.map((agent) => agent.id)),
    knownIntents,
    agentId,
  };
}

/** Error findings as a 400 (publishing needs a flow without errors). */
export function rejectErrors(findings: readonly FlowFinding[], action: string): void {
  const errors = findings.filter((finding) => finding.severity === 'error');
  if (errors.length === 0) return;
  throw new AppError(
    'validation_failed',
    `Cannot ${action}: the flow has ${errors.length} error${errors.length === 1 ? '' : 's'}, first: ${errors[0]?.message}`,
    { details: { findings } },
  );
}
