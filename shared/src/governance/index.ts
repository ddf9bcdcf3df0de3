export type { AuditEntry, AuditVerification } from './audit.ts';
export { AUDIT_GENESIS_HASH, appendAudit, auditHash, verifyAuditChain } from './audit.ts';
export type { AuditFilters, AuditService } from './audit-query.ts';
export { createAuditService, toAuditView } from './audit-query.ts';
export type { Actor, RequestContext } from './context.ts';
export * from './identity/index.ts';
export type { PiiKind, PiiMatch } from './pii.ts';
export { detectPii, findEchoes, luhnValid, maskPii, PII_KINDS } from './pii.ts';
export type { RateLimiter, RateLimitRule } from './rate-limit.ts';
export { createRateLimiter } from './rate-limit.ts';
export type { Permission, Role } from './rbac.ts';
export {
  canGrantRole,
  isPermission,
  isRole,
  PERMISSIONS,
  permissionsFor,
  ROLE_PERMISSIONS,
  ROLES,
} from './rbac.ts';
export { redactSecrets } from './redact.ts';
export * from './secrets/index.ts';
