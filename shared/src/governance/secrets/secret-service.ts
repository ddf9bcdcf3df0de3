import { and, asc, eq, gt, lt } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import { appendAudit } from '../audit.ts';
import type { RequestContext } from '../context.ts';
import { openSecret, rewrapSealedKey, sealSecret } from './envelope.ts';
import { type SecretKeyring, SecretKeyUnavailableError, SecretsNotConfiguredError } from './keyring.ts';

type SecretRow = typeof tables.secrets.$inferSelect;

/** What may be shown about a secret: never the value, at most its last four characters. */
export interface SecretView {
  id: string;
  name: string;
  kind: string;
  lastFour: string | null;
  kekVersion: number;
  rotatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A new secret. */
export interface SecretInput {
  name: string;
  kind: string;
  value: string;
}

/** The outcome of moving a tenant's secrets to the primary KEK. */
export interface RewrapReport {
  tenantId: string;
  primaryVersion: number;
  /** Secrets moved to the primary KEK. */
  rewrapped: number;
  /** Secrets already on the primary KEK. */
  current: number;
  /** Secrets whose KEK version is not configured (unreadable until that key is restored). */
  unavailable: { id: string; kekVersion: number }[];
}

/** Values this short show no hint: four characters of a short secret give too much away. */
const LAST_FOUR_MIN_LENGTH = 16;
const REWRAP_BATCH_SIZE = 100;

/** The shareable view of a secret row (no sealed columns). */
export function toSecretView(row: SecretRow): SecretView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    lastFour: row.lastFour,
    kekVersion: row.kekVersion,
    rotatedAt: row.rotatedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function lastFourOf(value: string): string | null {
  return value.length >= LAST_FOUR_MIN_LENGTH ? value.slice(-4) : null;
}

function scopeOf(context: RequestContext) {
  return { tenantId: context.tenantId, userId: context.actor.type === 'user' ? context.actor.id : null };
}

async function findSecret(tx: Tx, id: string): Promise<SecretRow> {
  const [row] = await tx.select().from(tables.secrets).where(eq(tables.secrets.id, id));
  if (!row) throw new AppError('not_found', 'Secret not found');
  return row;
}

/**
 * Tenant secrets, envelope-encrypted (see envelope.ts). Values go in through `create`/`rotate` and
 * come out only through `reveal`, which is for the platform's own use at call time (no route
 * returns a value). Every change is audited without the value. The `*In(tx, …)` forms run inside a
 * caller's transaction, so a resource and its secret change together.
 */
export function createSecretService(db: Database, keyring: SecretKeyring | undefined) {
  const requireKeyring = (): SecretKeyring => {
    if (!keyring) throw new SecretsNotConfiguredError();
    return keyring;
  };

  const service = {
    async createIn(tx: Tx, context: RequestContext, input: SecretInput): Promise<SecretView> {
      const id = newId('secret');
      const sealed = await sealSecret(
        requireKeyring(),
        { tenantId: context.tenantId, secretId: id },
        input.value,
      );
      const [row] = await tx
        .insert(tables.secrets)
        .values({
          id,
          tenantId: context.tenantId,
          name: input.name,
          kind: input.kind,
          ...sealed,
          lastFour: lastFourOf(input.value),
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      const view = toSecretView(row);
      await appendAudit(tx, context, {
        action: 'secret.create',
        resourceType: 'secret',
        resourceId: id,
        after: view,
      });
      return view;
    },

    /** Decrypts a secret's value. Internal only: never return it from a route or log it. */
    async revealIn(tx: Tx, context: RequestContext, id: string): Promise<string> {
      const row = await findSecret(tx, id);
      return openSecret(requireKeyring(), { tenantId: context.tenantId, secretId: row.id }, row);
    },

    /** Replaces the value: new data key, new IV, wrapped under the primary KEK. */
    async rotateIn(tx: Tx, context: RequestContext, id: string, value: string): Promise<SecretView> {
      const before = await findSecret(tx, id);
      const sealed = await sealSecret(requireKeyring(), { tenantId: context.tenantId, secretId: id }, value);
      const now = new Date();
      const [row] = await tx
        .update(tables.secrets)
        .set({ ...sealed, lastFour: lastFourOf(value), rotatedAt: now, updatedAt: now })
        .where(eq(tables.secrets.id, id))
        .returning();
      if (!row) throw new AppError('not_found', 'Secret not found');
      const after = toSecretView(row);
      await appendAudit(tx, context, {
        action: 'secret.rotate',
        resourceType: 'secret',
        resourceId: id,
        before: toSecretView(before),
        after,
      });
      return after;
    },

    async removeIn(tx: Tx, context: RequestContext, id: string): Promise<void> {
      const before = await findSecret(tx, id);
      await tx.delete(tables.secrets).where(eq(tables.secrets.id, id));
      await appendAudit(tx, context, {
        action: 'secret.delete',
        resourceType: 'secret',
        resourceId: id,
        before: toSecretView(before),
      });
    },

    create: (context: RequestContext, input: SecretInput) =>
      db.withTenant(scopeOf(context), (tx) => service.createIn(tx, context, input)),
    get: (context: RequestContext, id: string) =>
      db.withTenant(scopeOf(context), async (tx) => toSecretView(await findSecret(tx, id))),
    reveal: (context: RequestContext, id: string) =>
      db.withTenant(scopeOf(context), (tx) => service.revealIn(tx, context, id)),
    rotate: (context: RequestContext, id: string, value: string) =>
      db.withTenant(scopeOf(context), (tx) => service.rotateIn(tx, context, id, value)),
    remove: (context: RequestContext, id: string) =>
      db.withTenant(scopeOf(context), (tx) => service.removeIn(tx, context, id)),

    /**
     * Moves every secret of the context's tenant to the primary KEK, in batches of short
     * transactions (rows locked while they are rewrapped, so a concurrent rotate waits). Ciphertexts
     * are not touched. Secrets whose KEK is no longer configured are reported, not failed on.
     */
    async rewrapTenant(context: RequestContext): Promise<RewrapReport> {
      const ring = requireKeyring();
      const report: RewrapReport = {
        tenantId: context.tenantId,
        primaryVersion: ring.primaryVersion,
        rewrapped: 0,
        current: 0,
        unavailable: [],
      };
      let cursor = '';
      for (;;) {
        const done = await db.withTenant(scopeOf(context), async (tx) => {
          const rows = await tx
            .select()
            .from(tables.secrets)
            .where(and(gt(tables.secrets.id, cursor), lt(tables.secrets.kekVersion, ring.primaryVersion)))
            .orderBy(asc(tables.secrets.id))
            .limit(REWRAP_BATCH_SIZE)
            .for('update');
          for (const row of rows) {
            cursor = row.id;
            try {
              const wrap = await rewrapSealedKey(ring, { tenantId: context.tenantId, secretId: row.id }, row);
              await tx
                .update(tables.secrets)
                .set({ ...wrap, updatedAt: new Date() })
                .where(eq(tables.secrets.id, row.id));
              await appendAudit(tx, context, {
                action: 'secret.rewrap',
                resourceType: 'secret',
                resourceId: row.id,
                before: { kekVersion: row.kekVersion },
                after: { kekVersion: wrap.kekVersion },
              });
              report.rewrapped += 1;
            } catch (error) {
              if (!(error instanceof SecretKeyUnavailableError)) throw error;
              report.unavailable.push({ id: row.id, kekVersion: row.kekVersion });
            }
          }
          return rows.length < REWRAP_BATCH_SIZE;
        });
        if (done) break;
      }
      report.current = await db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select({ id: tables.secrets.id })
          .from(tables.secrets)
          .where(eq(tables.secrets.kekVersion, ring.primaryVersion));
        return rows.length - report.rewrapped;
      });
      return report;
    },
  };
  return service;
}

export type SecretService = ReturnType<typeof createSecretService>;

/**
 * Rewraps the secrets of every listed tenant (the admin CLI lists them through the owner
 * connection), acting as the system. Each tenant's changes land in that tenant's audit chain.
 */
export async function rewrapAllTenants(
  db: Database,
  keyring: SecretKeyring,
  tenantIds: readonly string[],
  operator: { actorId: string; requestId: string },
): Promise<RewrapReport[]> {
  const service = createSecretService(db, keyring);
  const reports: RewrapReport[] = [];
  for (const tenantId of tenantIds) {
    reports.push(
      await service.rewrapTenant({
        tenantId,
        actor: { type: 'system', id: operator.actorId },
        role: 'owner',
        requestId: operator.requestId,
        ip: null,
      }),
    );
  }
  return reports;
}
