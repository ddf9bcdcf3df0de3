/**
 * Role-based access control: the closed sets of roles and permissions and which role holds which.
 * Routes declare one permission each (see workers/src/permissions.ts); middleware enforces it.
 */
export const PERMISSIONS = [
  'tenant:read',
  'tenant:update',
  'members:read',
  'members:invite',
  'members:update',
  'members:remove',
  'roles:read',
  'api_keys:read',
  'api_keys:create',
  'api_keys:revoke',
  'agents:read',
  'agents:create',
  'agents:update',
  'agents:delete',
  'flows:read',
  'flows:write',
  'flows:publish',
  'knowledge:read',
  'knowledge:write',
  'conversations:read',
  'conversations:write',
  'approvals:decide',
  'calls:read',
  'calls:create',
  'phone_numbers:read',
  'phone_numbers:write',
  'campaigns:read',
  'campaigns:write',
  'analytics:read',
  'audit:read',
  'settings:update',
  'secrets:manage',
  'models:read',
  'models:write',
  'tests:read',
  'tests:write',
  'tests:run',
  'platform:tenants',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'builder', 'operator', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const READ: Permission[] = [
  'tenant:read',
  'members:read',
  'roles:read',
  'agents:read',
  'flows:read',
  'knowledge:read',
  'conversations:read',
  'tests:read',
  'calls:read',
  'phone_numbers:read',
  'campaigns:read',
];

const TENANT_PERMISSIONS = PERMISSIONS.filter((permission) => !permission.startsWith('platform:'));

/** Which permissions each role holds. Platform permissions are never granted through a tenant role. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: TENANT_PERMISSIONS,
  admin: TENANT_PERMISSIONS.filter((permission) => permission !== 'tenant:update'),
  builder: [
    ...READ,
    'agents:create',
    'agents:update',
    'agents:delete',
    'flows:write',
    'flows:publish',
    'knowledge:write',
    'conversations:write',
    'analytics:read',
    // Builders pick a configured model provider for their agents; managing keys stays with admins.
    'models:read',
    // Agent test suites: builders write and run them (a CI key with the builder role gates deploys).
    'tests:write',
    'tests:run',
    // Routing a number to an agent is agent configuration; a test call checks it.
    'phone_numbers:write',
    'calls:create',
  ],
  operator: [...READ, 'conversations:write', 'approvals:decide', 'calls:create', 'campaigns:write'],
  analyst: [...READ, 'analytics:read', 'audit:read'],
  viewer: READ,
};

/** Higher rank may grant lower or equal roles; only an owner may grant owner. */
const ROLE_RANK: Readonly<Record<Role, number>> = {
  owner: 6,
  admin: 5,
  builder: 4,
  operator: 3,
  analyst: 2,
  viewer: 1,
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The permissions of a tenant role, plus platform permissions for platform administrators. */
export function permissionsFor(role: Role, isPlatformAdmin: boolean): ReadonlySet<Permission> {
  const granted = new Set<Permission>(ROLE_PERMISSIONS[role]);
  if (isPlatformAdmin) granted.add('platform:tenants');
  return granted;
}

/** Whether an actor holding `actorRole` may give `targetRole` to someone (or to a key). */
export function canGrantRole(actorRole: Role, targetRole: Role): boolean {
  if (targetRole === 'owner') return actorRole === 'owner';
  return ROLE_RANK[actorRole] >= ROLE_RANK[targetRole];
}
