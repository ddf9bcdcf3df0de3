import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { AppError, newId, randomBytes, toBase64Url } from '../../core/index.ts';
import { type Cache, type Database, rowsOf, type Tx, tables } from '../../platform/index.ts';
import { appendAudit } from '../audit.ts';
import type { RequestContext } from '../context.ts';
import { canGrantRole, type Role } from '../rbac.ts';
import { membershipCacheKey } from './membership.ts';
import type { PasswordHasher } from './passwords.ts';

export interface MemberView {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

/** A generated password for a brand-new account, returned once to the inviter. */
export function generateTemporaryPassword(): string {
  return toBase64Url(randomBytes(18));
}

const memberColumns = {
  userId: tables.memberships.userId,
  email: tables.users.email,
  name: tables.users.name,
  role: tables.memberships.role,
  createdAt: tables.memberships.createdAt,
  updatedAt: tables.memberships.updatedAt,
};

type MemberRow = {
  userId: string;
  email: string;
  name: string | null;
  role: string;
  createdAt: Date;
  updatedAt: Date;
};

function toView(row: MemberRow): MemberView {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function findMember(tx: Tx, userId: string): Promise<MemberView> {
  const [row] = await tx
    .select(memberColumns)
    .from(tables.memberships)
    .innerJoin(tables.users, eq(tables.users.id, tables.memberships.userId))
    .where(eq(tables.memberships.userId, userId));
  if (!row) throw new AppError('not_found', 'Member not found');
  return toView(row);
}

async function ownerCount(tx: Tx): Promise<number> {
  const owners = await tx
    .select({ userId: tables.memberships.userId })
    .from(tables.memberships)
    .where(eq(tables.memberships.role, 'owner'));
  return owners.length;
}

/**
 * Adds a user to the current tenant, creating the global identity when the email is new.
 * Runs inside the caller's transaction (used by invites and by tenant creation).
 */
export async function addMember(
  tx: Tx,
  context: RequestContext,
  passwords: PasswordHasher,
  input: { email: string; role: Role; name?: string | undefined; password?: string | undefined },
): Promise<{ member: MemberView; temporaryPassword?: string }> {
  const email = input.email.trim().toLowerCase();
  const [existing] = rowsOf<{ id: string | null }>(
    await tx.execute(sql`select lumay_private.user_id_by_email(${email}) as id`),
  );
  let userId = existing?.id ?? null;
  let temporaryPassword: string | undefined;
  if (!userId) {
    userId = newId('user');
    const password = input.password ?? generateTemporaryPassword();
    if (!input.password) temporaryPassword = password;
    await tx.insert(tables.users).values({
      id: userId,
      email,
      name: input.name ?? null,
      passwordHash: await passwords.hash(password),
    });
  }
  const [already] = await tx
    .select({ id: tables.memberships.id })
    .from(tables.memberships)
    .where(eq(tables.memberships.userId, userId));
  if (already) throw new AppError('conflict', 'This user is already a member of the tenant');
  await tx.insert(tables.memberships).values({
    id: newId('membership'),
    tenantId: context.tenantId,
    userId,
    role: input.role,
    invitedBy: context.actor.id,
  });
  const member = await findMember(tx, userId);
  await appendAudit(tx, context, {
    action: 'member.add',
    resourceType: 'member',
    resourceId: userId,
    after: member,
  });
  return temporaryPassword ? { member, temporaryPassword } : { member };
}

export function createMemberService(db: Database, passwords: PasswordHasher, cache?: Cache) {
  const scope = (context: RequestContext) => ({
    tenantId: context.tenantId,
    userId: context.actor.type === 'user' ? context.actor.id : null,
  });

  /** Sessions of a member whose access changed are revoked, so the change applies at the next refresh. */
  async function revokeSessions(tx: Tx, userId: string): Promise<void> {
    await tx
      .update(tables.refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(tables.refreshTokens.userId, userId), isNull(tables.refreshTokens.revokedAt)));
  }

  return {
    async list(
      context: RequestContext,
      options: { limit: number; cursor?: string | undefined; role?: Role | undefined },
    ) {
      return db.withTenant(scope(context), async (tx) => {
        const rows = await tx
          .select(memberColumns)
          .from(tables.memberships)
          .innerJoin(tables.users, eq(tables.users.id, tables.memberships.userId))
          .where(
            and(
              options.cursor ? gt(tables.memberships.userId, options.cursor) : undefined,
              options.role ? eq(tables.memberships.role, options.role) : undefined,
            ),
          )
          .orderBy(asc(tables.memberships.userId))
          .limit(options.limit + 1);
        const page = rows.slice(0, options.limit);
        return {
          data: page.map(toView),
          nextCursor: rows.length > options.limit ? (page.at(-1)?.userId ?? null) : null,
        };
      });
    },

    get: (context: RequestContext, userId: string) =>
      db.withTenant(scope(context), (tx) => findMember(tx, userId)),

    async invite(
      context: RequestContext,
      input: { email: string; role: Role; name?: string | undefined; password?: string | undefined },
    ) {
      if (!canGrantRole(context.role, input.role)) {
        throw new AppError('forbidden', `Your role cannot grant the role "${input.role}"`);
      }
      return db.withTenant(scope(context), (tx) => addMember(tx, context, passwords, input));
    },

    async changeRole(context: RequestContext, userId: string, role: Role): Promise<MemberView> {
      const changed = await db.withTenant(scope(context), async (tx) => {
        const before = await findMember(tx, userId);
        if (!canGrantRole(context.role, role) || !canGrantRole(context.role, before.role)) {
          throw new AppError('forbidden', 'Your role cannot make this change');
        }
        if (before.role === role) return before;
        if (before.role === 'owner' && (await ownerCount(tx)) <= 1) {
          throw new AppError('conflict', 'A tenant must keep at least one owner');
        }
        await tx
          .update(tables.memberships)
          .set({ role, updatedAt: new Date() })
          .where(eq(tables.memberships.userId, userId));
        await revokeSessions(tx, userId);
        const after = await findMember(tx, userId);
        await appendAudit(tx, context, {
          action: 'member.update',
          resourceType: 'member',
          resourceId: userId,
          before,
          after,
        });
        return after;
      });
      await cache?.delete(membershipCacheKey(context.tenantId, userId));
      return changed;
    },

    async remove(context: RequestContext, userId: string): Promise<void> {
      await db.withTenant(scope(context), async (tx) => {
        const before = await findMember(tx, userId);
        if (!canGrantRole(context.role, before.role))
          throw new AppError('forbidden', 'Your role cannot remove this member');
        if (before.role === 'owner' && (await ownerCount(tx)) <= 1) {
          throw new AppError('conflict', 'A tenant must keep at least one owner');
        }
        await revokeSessions(tx, userId);
        await tx.delete(tables.memberships).where(eq(tables.memberships.userId, userId));
        await appendAudit(tx, context, {
          action: 'member.remove',
          resourceType: 'member',
          resourceId: userId,
          before,
        });
      });
      await cache?.delete(membershipCacheKey(context.tenantId, userId));
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
