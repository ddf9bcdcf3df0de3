import type { Role } from './rbac.ts';

/** Who is acting. API keys act for their tenant with their own role. */
export interface Actor {
  readonly type: 'user' | 'api_key' | 'system';
  readonly id: string | null;
}

/** Everything a tenant-scoped operation needs to know about the request it serves. */
export interface RequestContext {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly role: Role;
  readonly requestId: string;
  readonly ip: string | null;
}
