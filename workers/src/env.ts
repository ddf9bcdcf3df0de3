import type { Permission, Role } from '@lumay/shared';
import type { Services } from './services.ts';

/** The authenticated caller, set by the auth middleware. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** User id, or null for an API key. */
  userId: string | null;
  /** API key id, or null for a user. */
  keyId: string | null;
  tenantId: string;
  role: Role;
  isPlatformAdmin: boolean;
  permissions: ReadonlySet<Permission>;
}

/** Hono's typed environment for the management API. */
export interface AppEnv {
  Variables: {
    requestId: string;
    clientIp: string | null;
    services: Services;
    principal: Principal | undefined;
  };
}
