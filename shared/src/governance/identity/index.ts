export type { ApiKeyPrincipal, ApiKeyService, ApiKeyView } from './api-keys.ts';
export {
  API_KEY_CACHE_TTL_SECONDS,
  apiKeyCacheKey,
  authenticateApiKey,
  createApiKeyService,
  toApiKeyView,
} from './api-keys.ts';
export { hashCredential, looksLikeApiKey, mintCredential, parseCredential } from './credentials.ts';
export type { MemberService, MemberView } from './members.ts';
export { addMember, createMemberService, generateTemporaryPassword } from './members.ts';
export type { CurrentMembership } from './membership.ts';
export { currentMembership, MEMBERSHIP_CACHE_TTL_SECONDS, membershipCacheKey } from './membership.ts';
export type { PasswordHasher, ScryptFunction, ScryptParams } from './passwords.ts';
export { createPasswordHasher, portableScrypt, SCRYPT_PARAMS } from './passwords.ts';
export type { SessionService, SessionTokens } from './sessions.ts';
export { createSessionService, LOGIN_LIMITS } from './sessions.ts';
export type { TenantService, TenantView } from './tenants.ts';
export { createTenantService, toTenantView } from './tenants.ts';
export type { AccessTokenClaims, TokenService, TokenServiceOptions } from './tokens.ts';
export { ACCESS_TOKEN_ALGORITHM, createTokenService, generateTokenKeys } from './tokens.ts';
