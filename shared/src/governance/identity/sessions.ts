import { and, eq, isNull, sql } from 'drizzle-orm';
import { AppError, newId, timingSafeEqual } from '../../core/index.ts';
import { type Database, rowsOf, type Tx, tables } from '../../platform/index.ts';
import { appendAudit } from '../audit.ts';
import type { RequestContext } from '../context.ts';
import type { RateLimiter, RateLimitRule } from '../rate-limit.ts';
import { isRole, type Role } from '../rbac.ts';
import { hashCredential, mintCredential, parseCredential } from './credentials.ts';
import type { PasswordHasher } from './passwords.ts';
import type { TokenService } from './tokens.ts';

export const LOGIN_LIMITS = {
  perAccount: { name: 'login:account', limit: 10, windowSeconds: 900 } satisfies RateLimitRule,
  perIp: { name: 'login:ip', limit: 50, windowSeconds: 900 } satisfies RateLimitRule,
};

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  tenantId: string;
  role: Role;
}

export interface SessionDeps {
  db: Database;
  tokens: TokenService;
  passwords: PasswordHasher;
  rateLimiter: RateLimiter;
  refreshTokenTtlSeconds: number;
}

interface LoginRow {
  user_id: string;
  password_hash: string | null;
  is_platform_admin: boolean;
  disabled: boolean;
}

interface TenantRow {
  tenant_id: string;
  role: string;
  tenant_name: string;
}

const invalidCredentials = () => new AppError('invalid_credentials', 'Email or password is incorrect');

/** A fixed hash verified when no account matches, so timing does not reveal which emails exist. */
let decoyHash: Promise<string> | undefined;

export function createSessionService(deps: SessionDeps) {
  const { db, tokens, passwords, rateLimiter } = deps;

  async function issue(
    tx: Tx,
    context: RequestContext,
    user: { id: string; isPlatformAdmin: boolean },
    role: Role,
    familyId: string,
  ): Promise<SessionTokens> {
    const tokenId = newId('refreshToken');
    const refreshToken = mintCredential('refreshToken', context.tenantId, tokenId);
    await tx.insert(tables.refreshTokens).values({
      id: tokenId,
      tenantId: context.tenantId,
      userId: user.id,
      familyId,
      tokenHash: await hashCredential(refreshToken),
      expiresAt: new Date(Date.now() + deps.refreshTokenTtlSeconds * 1000),
    });
    const accessToken = await tokens.issueAccessToken({
      userId: user.id,
      tenantId: context.tenantId,
      role,
      isPlatformAdmin: user.isPlatformAdmin,
    });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: tokens.accessTokenTtlSeconds,
      tenantId: context.tenantId,
      role,
    };
  }

  return {
    /** Password login. Rate limited per account and per client IP; failures never say which part was wrong. */
    async login(
      input: { email: string; password: string; tenantId?: string | undefined },
      request: { requestId: string; ip: string | null },
    ): Promise<SessionTokens> {
      const email = input.email.trim().toLowerCase();
      await rateLimiter.hit(LOGIN_LIMITS.perIp, request.ip ?? 'unknown');
      if ((await rateLimiter.peek(LOGIN_LIMITS.perAccount, email)) >= LOGIN_LIMITS.perAccount.limit) {
        throw new AppError('rate_limited', 'Too many failed attempts for this account; try again later', {
          details: { retryAfterSeconds: LOGIN_LIMITS.perAccount.windowSeconds },
        });
      }

      const { user, memberships } = await db.withoutTenant(null, async (tx) => {
        const [found] = rowsOf<LoginRow>(
          await tx.execute(sql`select * from lumay_private.login_lookup(${email})`),
        );
        const tenants = found
          ? rowsOf<TenantRow>(
              await tx.execute(sql`select * from lumay_private.user_tenants(${found.user_id})`),
            )
          : [];
        return { user: found, memberships: tenants };
      });

      decoyHash ??= passwords.hash('decoy-password-for-timing');
      const passwordOk = await passwords.verify(input.password, user?.password_hash ?? (await decoyHash));
      if (!user?.password_hash || !passwordOk || user.disabled) {
        await rateLimiter.hit(LOGIN_LIMITS.perAccount, email).catch(() => undefined);
        throw invalidCredentials();
      }

      let membership: TenantRow | undefined;
      if (input.tenantId) {
        membership = memberships.find((row) => row.tenant_id === input.tenantId);
        if (!membership) throw invalidCredentials();
      } else if (memberships.length === 1) {
        membership = memberships[0];
      } else if (memberships.length > 1) {
        throw new AppError(
          'validation_failed',
          'tenantId is required: this account belongs to several tenants',
          {
            details: { tenants: memberships.map((row) => ({ id: row.tenant_id, name: row.tenant_name })) },
          },
        );
      }
      // No active membership: answer exactly like a wrong password, so the password is not confirmed.
      if (!membership || !isRole(membership.role)) throw invalidCredentials();
      await rateLimiter.reset(LOGIN_LIMITS.perAccount, email);

      const role = membership.role;
      const context: RequestContext = {
        tenantId: membership.tenant_id,
        actor: { type: 'user', id: user.user_id },
        role,
        requestId: request.requestId,
        ip: request.ip,
      };
      return db.withTenant({ tenantId: context.tenantId, userId: user.user_id }, async (tx) => {
        const session = await issue(
          tx,
          context,
          { id: user.user_id, isPlatformAdmin: user.is_platform_admin },
          role,
          newId('refreshToken'),
        );
        await appendAudit(tx, context, {
          action: 'auth.login',
          resourceType: 'user',
          resourceId: user.user_id,
        });
        return session;
      });
    },

    /**
     * Exchanges a refresh token for a new pair. Each token works once: presenting a used or revoked
     * token is treated as theft and revokes its whole family.
     */
    async refresh(
      refreshToken: string,
      request: { requestId: string; ip: string | null },
    ): Promise<SessionTokens> {
      const parsed = parseCredential('refreshToken', refreshToken);
      if (!parsed) throw new AppError('unauthorized', 'Refresh token is invalid');
      const presentedHash = await hashCredential(refreshToken);

      const outcome = await db.withTenant({ tenantId: parsed.tenantId, userId: null }, async (tx) => {
        const [row] = await tx
          .select()
          .from(tables.refreshTokens)
          .where(eq(tables.refreshTokens.id, parsed.id));
        if (!row || !timingSafeEqual(row.tokenHash, presentedHash)) return { kind: 'invalid' as const };
        const context: RequestContext = {
          tenantId: parsed.tenantId,
          actor: { type: 'user', id: row.userId },
          role: 'viewer',
          requestId: request.requestId,
          ip: request.ip,
        };
        const consumed =
          row.consumedAt || row.revokedAt
            ? []
            : await tx
                .update(tables.refreshTokens)
                .set({ consumedAt: new Date() })
                .where(and(eq(tables.refreshTokens.id, row.id), isNull(tables.refreshTokens.consumedAt)))
                .returning({ id: tables.refreshTokens.id });
        if (consumed.length === 0) {
          await tx
            .update(tables.refreshTokens)
            .set({ revokedAt: new Date() })
            .where(
              and(eq(tables.refreshTokens.familyId, row.familyId), isNull(tables.refreshTokens.revokedAt)),
            );
          await appendAudit(tx, context, {
            action: 'auth.refresh_reuse_detected',
            resourceType: 'session',
            resourceId: row.familyId,
          });
          return { kind: 'reused' as const };
        }
        if (row.expiresAt.getTime() <= Date.now()) return { kind: 'expired' as const };

        await tx.execute(sql`select set_config('app.user_id', ${row.userId}, true)`);
        const [member] = await tx
          .select({
            role: tables.memberships.role,
            disabledAt: tables.users.disabledAt,
            admin: tables.users.isPlatformAdmin,
          })
          .from(tables.memberships)
          .innerJoin(tables.users, eq(tables.users.id, tables.memberships.userId))
          .where(eq(tables.memberships.userId, row.userId));
        if (!member || member.disabledAt || !isRole(member.role)) return { kind: 'invalid' as const };
        const session = await issue(
          tx,
          { ...context, role: member.role },
          { id: row.userId, isPlatformAdmin: member.admin },
          member.role,
          row.familyId,
        );
        await appendAudit(
          tx,
          { ...context, role: member.role },
          {
            action: 'auth.refresh',
            resourceType: 'session',
            resourceId: row.familyId,
          },
        );
        return { kind: 'ok' as const, session };
      });

      switch (outcome.kind) {
        case 'ok':
          return outcome.session;
        case 'reused':
          throw new AppError('unauthorized', 'Refresh token was already used; the session has been revoked');
        case 'expired':
          throw new AppError('token_expired', 'Refresh token has expired');
        default:
          throw new AppError('unauthorized', 'Refresh token is invalid');
      }
    },

    /** Revokes the refresh token's whole session family. Unknown tokens are accepted silently. */
    async logout(refreshToken: string, request: { requestId: string; ip: string | null }): Promise<void> {
      const parsed = parseCredential('refreshToken', refreshToken);
      if (!parsed) throw new AppError('unauthorized', 'Refresh token is invalid');
      const presentedHash = await hashCredential(refreshToken);
      await db.withTenant({ tenantId: parsed.tenantId, userId: null }, async (tx) => {
        const [row] = await tx
          .select()
          .from(tables.refreshTokens)
          .where(eq(tables.refreshTokens.id, parsed.id));
        if (!row || !timingSafeEqual(row.tokenHash, presentedHash)) return;
        const revoked = await tx
          .update(tables.refreshTokens)
          .set({ revokedAt: new Date() })
          .where(and(eq(tables.refreshTokens.familyId, row.familyId), isNull(tables.refreshTokens.revokedAt)))
          .returning({ id: tables.refreshTokens.id });
        if (revoked.length === 0) return;
        await appendAudit(
          tx,
          {
            tenantId: parsed.tenantId,
            actor: { type: 'user', id: row.userId },
            role: 'viewer',
            requestId: request.requestId,
            ip: request.ip,
          },
          { action: 'auth.logout', resourceType: 'session', resourceId: row.familyId },
        );
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
