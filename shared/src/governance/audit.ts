import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { canonicalJson, newId, sha256Hex } from '../core/index.ts';
import { type Tx, tables } from '../platform/index.ts';
import type { RequestContext } from './context.ts';
import { redactSecrets } from './redact.ts';

/** The hash a tenant's first audit row chains from. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  before?: unknown;
  after?: unknown;
}

type AuditRow = typeof tables.auditLog.$inferSelect;

/** The fields covered by a row's hash, in canonical form. */
function hashedFields(row: Omit<AuditRow, 'hash' | 'prevHash'>): string {
  return canonicalJson({
    id: row.id,
    tenantId: row.tenantId,
    seq: row.seq,
    occurredAt: row.occurredAt.toISOString(),
    actorType: row.actorType,
    actorId: row.actorId,
    action: row.action,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.requestId,
    ip: row.ip,
  });
}

export function auditHash(prevHash: string, row: Omit<AuditRow, 'hash' | 'prevHash'>): Promise<string> {
  return sha256Hex(`${prevHash}\n${hashedFields(row)}`);
}

/**
 * Appends an audit row in the caller's transaction, so the row exists if and only if the change
 * commits. Appends in one tenant are serialized by a transaction-scoped advisory lock, which keeps
 * the per-tenant hash chain linear under concurrency. Secrets are removed from before/after.
 */
export async function appendAudit(tx: Tx, context: RequestContext, entry: AuditEntry): Promise<AuditRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`audit:${context.tenantId}`}))`);
  const [last] = await tx
    .select({ seq: tables.auditLog.seq, hash: tables.auditLog.hash })
    .from(tables.auditLog)
    .where(eq(tables.auditLog.tenantId, context.tenantId))
    .orderBy(desc(tables.auditLog.seq))
    .limit(1);
  const base = {
    id: newId('audit'),
    tenantId: context.tenantId,
    seq: (last?.seq ?? 0) + 1,
    occurredAt: new Date(),
    actorType: context.actor.type,
    actorId: context.actor.id,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    // Round-trip through JSON so the hashed form equals what jsonb hands back on verify.
    before: entry.before === undefined ? null : JSON.parse(JSON.stringify(redactSecrets(entry.before))),
    after: entry.after === undefined ? null : JSON.parse(JSON.stringify(redactSecrets(entry.after))),
    requestId: context.requestId,
    ip: context.ip,
  };
  const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
  const row: AuditRow = { ...base, prevHash, hash: await auditHash(prevHash, base) };
  await tx.insert(tables.auditLog).values(row);
  return row;
}

export type AuditVerification =
  | { valid: true; checked: number; headHash: string }
  | {
      valid: false;
      checked: number;
      firstBroken: {
        seq: number;
        id: string | null;
        reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'missing_row';
      };
    };

/**
 * Walks a tenant's chain in sequence order, recomputing every hash. Reports the first broken link:
 * a modified row (hash mismatch), a reordered or substituted row (prev-hash mismatch) or a deleted
 * row (gap in the sequence).
 */
export async function verifyAuditChain(
  tx: Tx,
  tenantId: string,
  batchSize = 1000,
): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = AUDIT_GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const rows = await tx
      .select()
      .from(tables.auditLog)
      .where(and(eq(tables.auditLog.tenantId, tenantId), gt(tables.auditLog.seq, expectedSeq - 1)))
      .orderBy(asc(tables.auditLog.seq))
      .limit(batchSize);
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        return { valid: false, checked, firstBroken: { seq: expectedSeq, id: null, reason: 'missing_row' } };
      }
      if (row.prevHash !== prevHash) {
        return {
          valid: false,
          checked,
          firstBroken: { seq: row.seq, id: row.id, reason: 'prev_hash_mismatch' },
        };
      }
      if ((await auditHash(row.prevHash, row)) !== row.hash) {
        return { valid: false, checked, firstBroken: { seq: row.seq, id: row.id, reason: 'hash_mismatch' } };
      }
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (rows.length < batchSize) return { valid: true, checked, headHash: prevHash };
  }
}
