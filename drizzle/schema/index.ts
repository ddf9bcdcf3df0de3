export { agents } from './agents.ts';
export { apiKeys } from './api-keys.ts';
export { auditLog } from './audit-log.ts';
export { memberships } from './memberships.ts';
export { outbox } from './outbox.ts';
export { processedEvents } from './processed-events.ts';
export { refreshTokens } from './refresh-tokens.ts';
export { tenants } from './tenants.ts';
export { users } from './users.ts';

/** Tables that carry `tenant_id` and are guarded by forced row-level security. */
export const TENANT_TABLES = [
  'memberships',
  'api_keys',
  'refresh_tokens',
  'agents',
  'audit_log',
  'outbox',
  'processed_events',
] as const;
