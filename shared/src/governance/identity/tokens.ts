import {
  errors,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
} from 'jose';
import { AppError, newId } from '../../core/index.ts';
import { isRole, type Role } from '../rbac.ts';

/** The one signing algorithm accepted. Pinned: tokens with any other `alg` (none, HS256…) fail. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';
/** RFC 9068 access-token type; ID tokens or other JWTs signed by the same key are refused. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  userId: string;
  tenantId: string;
  role: Role;
  isPlatformAdmin: boolean;
}

export interface TokenServiceOptions {
  privateKeyPem: string;
  publicKeyPem: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

export interface TokenService {
  readonly accessTokenTtlSeconds: number;
  issueAccessToken(claims: AccessTokenClaims): Promise<string>;
  /** Verifies signature, algorithm, type, issuer, audience and expiry; throws 401 AppErrors. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
}

/** Accepts PEM with real newlines or with `\n` escapes (as env files often carry them). */
function normalizePem(pem: string): string {
  return pem.replace(/\\n/g, '\n').trim();
}

/** Verified tokens remembered per process; bounded so a flood of distinct tokens cannot grow memory. */
const VERIFIED_CACHE_SIZE = 10_000;

export async function createTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const privateKey = await importPKCS8(normalizePem(options.privateKeyPem), ACCESS_TOKEN_ALGORITHM);
  const publicKey = await importSPKI(normalizePem(options.publicKeyPem), ACCESS_TOKEN_ALGORITHM);
  // An ES256 verification costs ~0.1 ms of CPU; a client sends the same token on every request until
  // it expires. The exact token string maps to exactly one set of claims, so a verified string can be
  // reused until its `exp` without weakening anything (authorization itself is re-checked per request).
  const verified = new Map<string, { claims: AccessTokenClaims; expiresAtMs: number }>();
  return {
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    async issueAccessToken(claims) {
      return new SignJWT({ tid: claims.tenantId, role: claims.role, pa: claims.isPlatformAdmin })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setJti(newId('request'))
        .setExpirationTime(`${options.accessTokenTtlSeconds}s`)
        .sign(privateKey);
    },
    async verifyAccessToken(token) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAtMs > Date.now()) return known.claims;
        verified.delete(token);
        throw new AppError('token_expired', 'Access token has expired');
      }
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [ACCESS_TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ['exp', 'iat', 'sub', 'tid', 'role'],
        });
        const role = String(payload.role);
        if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string' || !isRole(role)) {
          throw new AppError('unauthorized', 'Access token has invalid claims');
        }
        const claims = {
          userId: payload.sub,
          tenantId: payload.tid,
          role,
          isPlatformAdmin: payload.pa === true,
        };
        if (verified.size >= VERIFIED_CACHE_SIZE) {
          const oldest = verified.keys().next().value;
          if (oldest !== undefined) verified.delete(oldest);
        }
        verified.set(token, { claims, expiresAtMs: (payload.exp ?? 0) * 1000 });
        return claims;
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof errors.JWTExpired)
          throw new AppError('token_expired', 'Access token has expired');
        throw new AppError('unauthorized', 'Access token is invalid', { cause: error });
      }
    },
  };
}

/** Generates a fresh ES256 key pair as PEM strings (used by the embedded default and tests). */
export async function generateTokenKeys(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}
