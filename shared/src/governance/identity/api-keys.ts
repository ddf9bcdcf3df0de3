import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import { AppError, newId, timingSafeEqual } from '../../core/index.ts';
import { type Cache, type Database, type Tx, tables } from '../../platform/index.ts';
import { appendAudit } from '../audit.ts';
import type { RequestContext } from '../context.ts';
import { canGrantRole, isRole, type Role } from '../rbac.ts';
import { hashCredential, mintCredential, parseCredential } from './credentials.ts';

type ApiKeyRow = typeof tables.apiKeys.$inferSelect;

/** The public view of a key: never the secret or its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  lastFour: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    lastFour: row.lastFour,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The principal an API key authenticates as. */
export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  role: Role;
}

/** Only touch `last_used_at` once a minute per key, so authentication stays a read. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** Verified keys are reused this long; revocation evicts the entry at once. */
export const API_KEY_CACHE_TTL_SECONDS = 30;

export function apiKeyCacheKey(tenantId: string, keyId: string): string {
  return `t:${tenantId}:apikey:${keyId}`;
}

interface CachedKey extends ApiKeyPrincipal {
  secretHash: string;
  expiresAt: number | null;
}

/**
 * Resolves a presented API key. Returns `undefined` for anything that is not a live key of the
 * tenant it names; the comparison is constant-time on the SHA-256 of the whole key. Verified keys
 * are cached (tenant and key id in the cache key, the hash in the value) so authentication costs
 * no database round trip on the hot path.
 */
export async function authenticateApiKey(
  db: Database,
  presented: string,
  cache?: Cache,
): Promise<ApiKeyPrincipal | undefined> {
  const parsed = parseCredential('apiKey', presented);
  if (!parsed) return undefined;
  const presentedHash = await hashCredential(presented);
  const cacheKey = apiKeyCacheKey(parsed.tenantId, parsed.id);
  const cached = await cache?.get<CachedKey>(cacheKey);
  if (cached && (cached.expiresAt === null || cached.expiresAt > Date.now())) {
    if (!timingSafeEqual(cached.secretHash, presentedHash)) return undefined;
    return { keyId: cached.keyId, tenantId: cached.tenantId, role: cached.role };
  }
  const verified = await db.withTenant({ tenantId: parsed.tenantId, userId: null }, async (tx) => {
    const [row] = await tx.select().from(tables.apiKeys).where(eq(tables.apiKeys.id, parsed.id));
    if (!row || !timingSafeEqual(row.secretHash, presentedHash)) return undefined;
    const now = Date.now();
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now) || !isRole(row.role))
      return undefined;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await tx
        .update(tables.apiKeys)
        .set({ lastUsedAt: new Date(now) })
        .where(and(eq(tables.apiKeys.id, row.id), isNull(tables.apiKeys.revokedAt)));
    }
    return {
      keyId: row.id,
      tenantId: row.tenantId,
      role: row.role,
      secretHash: row.secretHash,
      expiresAt: row.expiresAt?.getTime() ?? null,
    } satisfies CachedKey;
  });
  if (!verified) return undefined;
  await cache?.set(cacheKey, verified, API_KEY_CACHE_TTL_SECONDS);
  return { keyId: verified.keyId, tenantId: verified.tenantId, role: verified.role };
}

async function findKey(tx: Tx, id: string): Promise<ApiKeyRow> {
  const [row] = await tx.select().from(tables.apiKeys).where(eq(tables.apiKeys.id, id));
  if (!row) throw new AppError('not_found', 'API key not found');
  return row;
}

export function createApiKeyService(db: Database, cache?: Cache) {
  const scope = (context: RequestContext) => ({
    tenantId: context.tenantId,
    userId: context.actor.type === 'user' ? context.actor.id : null,
  });

  return {
    /** Creates a key; the returned `key` is the only time the secret is ever shown. */
    async create(
      context: RequestContext,
      input: { name: string; role: Role; expiresAt?: Date | undefined },
    ): Promise<ApiKeyView & { key: string }> {
      if (!canGrantRole(context.role, input.role)) {
        throw new AppError('forbidden', `Your role cannot create a key with role "${input.role}"`);
      }
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
        throw new AppError('validation_failed', 'expiresAt must be in the future');
      }
      const id = newId('apiKey');
      const key = mintCredential('apiKey', context.tenantId, id);
      return db.withTenant(scope(context), async (tx) => {
        const [row] = await tx
          .insert(tables.apiKeys)
          .values({
            id,
            tenantId: context.tenantId,
            name: input.name,
            role: input.role,
            secretHash: await hashCredential(key),
            lastFour: key.slice(-4),
            createdBy: context.actor.id,
            expiresAt: input.expiresAt ?? null,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const view = toApiKeyView(row);
        await appendAudit(tx, context, {
          action: 'api_key.create',
          resourceType: 'api_key',
          resourceId: id,
          after: view,
        });
        return { ...view, key };
      });
    },

    async list(context: RequestContext, options: { limit: number; cursor?: string | undefined }) {
      return db.withTenant(scope(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.apiKeys)
          .where(options.cursor ? lt(tables.apiKeys.id, options.cursor) : undefined)
          .orderBy(desc(tables.apiKeys.id))
          .limit(options.limit + 1);
        const page = rows.slice(0, options.limit);
        return {
          data: page.map(toApiKeyView),
          nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async get(context: RequestContext, id: string): Promise<ApiKeyView> {
      return db.withTenant(scope(context), async (tx) => toApiKeyView(await findKey(tx, id)));
    },

    /** Revokes a key immediately; revoking twice is a no-op that answers the revoked key. */
    async revoke(context: RequestContext, id: string): Promise<ApiKeyView> {
      const revoked = await db.withTenant(scope(context), async (tx) => {
        const before = await findKey(tx, id);
        if (before.revokedAt) return toApiKeyView(before);
        const [row] = await tx
          .update(tables.apiKeys)
          .set({ revokedAt: new Date() })
          .where(eq(tables.apiKeys.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'API key not found');
        const view = toApiKeyView(row);
        await appendAudit(tx, context, {
          action: 'api_key.revoke',
          resourceType: 'api_key',
          resourceId: id,
          before: toApiKeyView(before),
          after: view,
        });
        return view;
      });
      await cache?.delete(apiKeyCacheKey(context.tenantId, id));
      return revoked;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
