import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { enqueueEvent, type Tx, tables } from '../../platform/index.ts';
import type { FlowDefinition } from './definition.ts';
import { diffFlows, type FlowDiff } from './diff.ts';
import {
  contentHash,
  type FlowRow,
  type FlowVersionView,
  findFlow,
  loadValidationContext,
  normaliseDefinition,
  rejectErrors,
  toVersionView,
} from './flow-records.ts';
import { validateParsedFlow } from './validate.ts';
import type { FlowFinding } from './validation-types.ts';

/** The outcome of a publish: the version now published, whether it is new, and the warnings. */
export interface PublishResult {
  version: FlowVersionView;
  /** False when the draft equalled the latest version, which was (re)published instead. */
  created: boolean;
  findings: FlowFinding[];
}

/** A side of a diff: a published version number, or the draft. */
export type DiffSide = number | 'draft';

async function latestVersion(tx: Tx, flowId: string) {
  const [row] = await tx
    .select()
    .from(tables.flowVersions)
    .where(eq(tables.flowVersions.flowId, flowId))
    .orderBy(desc(tables.flowVersions.version))
    .limit(1);
  return row;
}

export async function findVersion(tx: Tx, flowId: string, version: number) {
  const [row] = await tx
    .select()
    .from(tables.flowVersions)
    .where(and(eq(tables.flowVersions.flowId, flowId), eq(tables.flowVersions.version, version)));
  if (!row) throw new AppError('not_found', `Flow version ${version} not found`);
  return row;
}

async function movePointer(
  tx: Tx,
  context: RequestContext,
  flow: FlowRow,
  version: number,
  action: 'flow.publish' | 'flow.rollback',
  details: Record<string, unknown>,
  restoredDraft?: Record<string, unknown>,
): Promise<void> {
  await tx
    .update(tables.flows)
    .set({
      publishedVersion: version,
      updatedAt: new Date(),
      ...(restoredDraft ? { draft: restoredDraft, draftRevision: flow.draftRevision + 1 } : {}),
    })
    .where(eq(tables.flows.id, flow.id));
  await appendAudit(tx, context, {
    action,
    resourceType: 'flow',
    resourceId: flow.id,
    before: { publishedVersion: flow.publishedVersion, draftRevision: flow.draftRevision },
    after: {
      publishedVersion: version,
      draftRevision: restoredDraft ? flow.draftRevision + 1 : flow.draftRevision,
      ...details,
    },
  });
  await enqueueEvent(tx, context.tenantId, 'config.changed', {
    resourceType: 'flow',
    resourceId: flow.id,
    version,
  });
}

/**
 * Publishes the draft as a new immutable version n+1 (content hash = SHA-256 of the canonical JSON of
 * the normalised definition) and points the flow at it. Errors block publishing (400 with findings);
 * warnings are returned. An unchanged draft (same hash as the latest version) creates no row: the latest
 * version is returned, and republished if the pointer had been rolled back.
 */
export async function publishFlow(
  tx: Tx,
  context: RequestContext,
  flowId: string,
  tools: { has(name: string): boolean },
  note: string | null,
): Promise<PublishResult> {
  const flow = await findFlow(tx, flowId, true);
  const definition = normaliseDefinition(flow.draft);
  const { findings } = validateParsedFlow(
    definition,
    await loadValidationContext(tx, definition, flow.agentId, tools),
  );
  rejectErrors(findings, 'publish');
  const hash = await contentHash(definition);
  const latest = await latestVersion(tx, flowId);
  if (latest && latest.contentHash === hash) {
    if (flow.publishedVersion !== latest.version) {
      await movePointer(tx, context, flow, latest.version, 'flow.publish', {
        contentHash: hash,
        reused: true,
      });
    }
    return { version: toVersionView(latest, latest.version, false), created: false, findings };
  }
  const [row] = await tx
    .insert(tables.flowVersions)
    .values({
      id: newId('flowVersion'),
      tenantId: context.tenantId,
      flowId,
      version: (latest?.version ?? 0) + 1,
      definition: definition as unknown as Record<string, unknown>,
      contentHash: hash,
      note,
      createdBy: context.actor.id,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await movePointer(tx, context, flow, row.version, 'flow.publish', { contentHash: hash, note });
  return { version: toVersionView(row, row.version, false), created: true, findings };
}

/**
 * Points the flow back at an earlier (or any existing) version. No version is created or changed:
 * history stays linear and immutable, and the pointer records what runs for new conversations (running
 * ones stay pinned to the version they started on). With `restoreDraft` the draft is replaced by that
 * version's definition too.
 */
export async function rollbackFlow(
  tx: Tx,
  context: RequestContext,
  flowId: string,
  version: number,
  restoreDraft: boolean,
): Promise<FlowVersionView> {
  const flow = await findFlow(tx, flowId, true);
  const target = await findVersion(tx, flowId, version);
  if (flow.publishedVersion !== version || restoreDraft) {
    await movePointer(
      tx,
      context,
      flow,
      version,
      'flow.rollback',
      { contentHash: target.contentHash, restoredDraft: restoreDraft },
      restoreDraft ? target.definition : undefined,
    );
  }
  return toVersionView(target, version, false);
}

/** Published versions, newest first; `cursor` is the version to continue below. */
export async function listVersions(tx: Tx, flowId: string, limit: number, cursor?: number) {
  const flow = await findFlow(tx, flowId);
  const rows = await tx
    .select()
    .from(tables.flowVersions)
    .where(
      and(
        eq(tables.flowVersions.flowId, flowId),
        cursor ? lt(tables.flowVersions.version, cursor) : undefined,
      ),
    )
    .orderBy(desc(tables.flowVersions.version))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: page.map((row) => toVersionView(row, flow.publishedVersion, false)),
    nextCursor: rows.length > limit ? String(page.at(-1)?.version) : null,
  };
}

async function sideDefinition(tx: Tx, flow: FlowRow, side: DiffSide) {
  if (side === 'draft') return { label: 'draft' as const, definition: normaliseDefinition(flow.draft) };
  const row = await findVersion(tx, flow.id, side);
  return { label: side, definition: normaliseDefinition(row.definition) };
}

/**
 * The diff between two sides (versions or the draft), with their content hashes. Without `from`, the
 * published version is compared (409 when nothing is published yet).
 */
export async function diffSides(tx: Tx, flowId: string, from: DiffSide | undefined, to: DiffSide) {
  const flow = await findFlow(tx, flowId);
  if (from === undefined) {
    if (flow.publishedVersion === null) {
      throw new AppError('conflict', 'The flow is not published yet; name the version to compare from');
    }
    from = flow.publishedVersion;
  }
  const [left, right] = [await sideDefinition(tx, flow, from), await sideDefinition(tx, flow, to)];
  const side = async (value: { label: DiffSide; definition: FlowDefinition }) => ({
    version: value.label,
    contentHash: await contentHash(value.definition),
  });
  const diff: FlowDiff = diffFlows(left.definition, right.definition);
  return { from: await side(left), to: await side(right), ...diff };
}
