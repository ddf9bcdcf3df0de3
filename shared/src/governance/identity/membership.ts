import { eq } from 'drizzle-orm';
import { type Cache, type Database, tables } from '../../platform/index.ts';
import { isRole, type Role } from '../rbac.ts';

/**
 * How long a verified membership may be reused without asking the database. Role changes and
 * removals evict the entry at once (on shared caches, across instances); this TTL bounds staleness
 * only for per-instance caches.
 */
export const MEMBERSHIP_CACHE_TTL_SECONDS = 30;

export function membershipCacheKey(tenantId: string, userId: string): string {
  return `t:${tenantId}:member:${userId}`;
}

export interface CurrentMembership {
  role: Role;
  isPlatformAdmin: boolean;
}

type Cached = CurrentMembership | { none: true };

/**
 * The caller's membership as it is *now*, not as the access token remembers it, so a role change
 * or removal takes effect on the next request (ASVS 8.3.2). Returns null when the user is no longer
 * an active member of the tenant (removed, or account disabled).
 */
export async function currentMembership(
  db: Database,
  cache: Cache,
  tenantId: string,
  userId: string,
): Promise<CurrentMembership | null> {
  const key = membershipCacheKey(tenantId, userId);
  const cached = await cache.get<Cached>(key);
  if (cached) return 'none' in cached ? null : cached;
  const found = await db.withTenant({ tenantId, userId }, async (tx) => {
    const [row] = await tx
      .select({
        role: tables.memberships.role,
        isPlatformAdmin: tables.users.isPlatformAdmin,
        disabledAt: tables.users.disabledAt,
      })
      .from(tables.memberships)
      .innerJoin(tables.users, eq(tables.users.id, tables.memberships.userId))
      .where(eq(tables.memberships.userId, userId));
    if (!row || row.disabledAt || !isRole(row.role)) return null;
    return { role: row.role, isPlatformAdmin: row.isPlatformAdmin };
  });
  await cache.set(key, found ?? { none: true }, MEMBERSHIP_CACHE_TTL_SECONDS);
  return found;
}
