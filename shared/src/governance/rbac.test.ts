import { describe, expect, it } from 'vitest';
import {
  canGrantRole,
  isPermission,
  isRole,
  PERMISSIONS,
  permissionsFor,
  ROLE_PERMISSIONS,
  ROLES,
} from './rbac.ts';

describe('rbac', () => {
  it('lets only an owner grant owner', () => {
    for (const actor of ROLES) expect(canGrantRole(actor, 'owner'), actor).toBe(actor === 'owner');
  });

  it('lets a role grant itself and lower roles, never higher ones', () => {
    const order = ['viewer', 'analyst', 'operator', 'builder', 'admin', 'owner'] as const;
    for (const [actorRank, actor] of order.entries()) {
      for (const [targetRank, target] of order.entries()) {
        expect(canGrantRole(actor, target), `${actor} → ${target}`).toBe(targetRank <= actorRank);
      }
    }
  });

  it('gives an owner every tenant permission and no platform permission', () => {
    const owner = permissionsFor('owner', false);
    for (const permission of PERMISSIONS) {
      expect(owner.has(permission), permission).toBe(!permission.startsWith('platform:'));
    }
  });

  it('keeps tenant:update from admins', () => {
    const admin = permissionsFor('admin', false);
    expect(admin.has('tenant:update')).toBe(false);
    expect(admin.has('members:invite')).toBe(true);
    expect(admin.has('api_keys:create')).toBe(true);
  });

  it('gives viewers read-only permissions', () => {
    const viewer = [...permissionsFor('viewer', false)];
    expect(viewer.length).toBeGreaterThan(0);
    for (const permission of viewer) expect(permission).toMatch(/:read$/);
    expect(viewer).not.toContain('audit:read');
  });

  it('matches the role table for builders, operators and analysts', () => {
    expect(permissionsFor('builder', false).has('agents:create')).toBe(true);
    expect(permissionsFor('builder', false).has('api_keys:create')).toBe(false);
    expect(permissionsFor('builder', false).has('members:invite')).toBe(false);
    expect(permissionsFor('operator', false).has('calls:create')).toBe(true);
    expect(permissionsFor('operator', false).has('agents:update')).toBe(false);
    expect(permissionsFor('analyst', false).has('audit:read')).toBe(true);
    expect(permissionsFor('analyst', false).has('agents:create')).toBe(false);
  });

  it('adds platform permissions only for platform administrators, whatever the role', () => {
    for (const role of ROLES) {
      expect(permissionsFor(role, false).has('platform:tenants')).toBe(false);
      const admin = permissionsFor(role, true);
      expect(admin.has('platform:tenants')).toBe(true);
      expect(admin.size).toBe(new Set(ROLE_PERMISSIONS[role]).size + 1);
    }
  });

  it('returns a fresh set each time (callers cannot widen a role)', () => {
    const first = permissionsFor('viewer', false) as Set<string>;
    first.add('agents:delete');
    expect(permissionsFor('viewer', false).has('agents:delete')).toBe(false);
  });

  it('only declares known permissions and recognises the closed sets', () => {
    for (const role of ROLES)
      for (const permission of ROLE_PERMISSIONS[role]) expect(isPermission(permission)).toBe(true);
    expect(isRole('owner')).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole('Owner')).toBe(false);
    expect(isPermission('agents:read')).toBe(true);
    expect(isPermission('agents:*')).toBe(false);
  });
});
