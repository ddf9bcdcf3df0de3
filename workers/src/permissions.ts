import type { Permission } from '@lumay/shared';

/** A route is public, needs any authenticated caller, or needs one permission. */
export type RouteAccess = Permission | 'public' | 'authenticated';

/**
 * The one table of route → permission. The authorization middleware reads it for every request;
 * a registered route missing here answers 500 (fail closed) and fails the route sweep test.
 * Keys are `METHOD path` with Hono path syntax.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, RouteAccess>> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',

  'POST /v1/auth/login': 'public',
  'POST /v1/auth/refresh': 'public',
  'POST /v1/auth/logout': 'public',
  'GET /v1/auth/me': 'authenticated',

  'POST /v1/tenants': 'platform:tenants',
  'GET /v1/tenants': 'platform:tenants',
  'GET /v1/tenant': 'tenant:read',
  'PATCH /v1/tenant': 'tenant:update',

  'GET /v1/members': 'members:read',
  'POST /v1/members': 'members:invite',
  'GET /v1/members/:userId': 'members:read',
  'PATCH /v1/members/:userId': 'members:update',
  'DELETE /v1/members/:userId': 'members:remove',

  'GET /v1/roles': 'roles:read',

  'GET /v1/api-keys': 'api_keys:read',
  'POST /v1/api-keys': 'api_keys:create',
  'GET /v1/api-keys/:id': 'api_keys:read',
  'DELETE /v1/api-keys/:id': 'api_keys:revoke',

  'GET /v1/agents': 'agents:read',
  'POST /v1/agents': 'agents:create',
  'GET /v1/agents/:id': 'agents:read',
  'PATCH /v1/agents/:id': 'agents:update',
  'DELETE /v1/agents/:id': 'agents:delete',
  'POST /v1/agents/:id/complete': 'conversations:write',

  'GET /v1/model-providers': 'models:read',
  'POST /v1/model-providers': 'models:write',
  'GET /v1/model-providers/:id': 'models:read',
  'PATCH /v1/model-providers/:id': 'models:write',
  'DELETE /v1/model-providers/:id': 'models:write',
  'POST /v1/model-providers/:id/test': 'models:write',

  'GET /v1/agents/:id/intents': 'agents:read',
  'POST /v1/agents/:id/intents': 'agents:update',
  'POST /v1/agents/:id/intents/classify': 'conversations:write',
  'GET /v1/intents/:id': 'agents:read',
  'PATCH /v1/intents/:id': 'agents:update',
  'DELETE /v1/intents/:id': 'agents:update',

  'GET /v1/costs': 'analytics:read',

  'GET /v1/knowledge-bases': 'knowledge:read',
  'POST /v1/knowledge-bases': 'knowledge:write',
  'GET /v1/knowledge-bases/:id': 'knowledge:read',
  'PATCH /v1/knowledge-bases/:id': 'knowledge:write',
  'DELETE /v1/knowledge-bases/:id': 'knowledge:write',
  'POST /v1/knowledge-bases/:id/query': 'knowledge:read',
  'GET /v1/knowledge-bases/:id/documents': 'knowledge:read',
  'POST /v1/knowledge-bases/:id/documents': 'knowledge:write',
  'GET /v1/knowledge-bases/:id/documents/:documentId': 'knowledge:read',
  'DELETE /v1/knowledge-bases/:id/documents/:documentId': 'knowledge:write',

  'POST /v1/conversations': 'conversations:write',
  'GET /v1/conversations': 'conversations:read',
  'GET /v1/conversations/:id': 'conversations:read',
  'POST /v1/conversations/:id/messages': 'conversations:write',
  'POST /v1/conversations/:id/end': 'conversations:write',

  'GET /v1/approvals': 'conversations:read',
  'GET /v1/approvals/:id': 'conversations:read',
  'POST /v1/approvals/:id/approve': 'approvals:decide',
  'POST /v1/approvals/:id/reject': 'approvals:decide',

  'GET /v1/handoffs': 'conversations:read',
  'GET /v1/handoffs/:id': 'conversations:read',
  'POST /v1/handoffs/:id/accept': 'conversations:write',
  'POST /v1/handoffs/:id/close': 'conversations:write',

  'GET /v1/flows': 'flows:read',
  'POST /v1/flows': 'flows:write',
  'POST /v1/flows/generate': 'flows:write',
  'GET /v1/flows/:id': 'flows:read',
  'PATCH /v1/flows/:id': 'flows:write',
  'DELETE /v1/flows/:id': 'flows:write',
  'POST /v1/flows/:id/validate': 'flows:read',
  'POST /v1/flows/:id/publish': 'flows:publish',
  'POST /v1/flows/:id/rollback': 'flows:publish',
  'GET /v1/flows/:id/versions': 'flows:read',
  'GET /v1/flows/:id/versions/:version': 'flows:read',
  'GET /v1/flows/:id/diff': 'flows:read',

  'GET /v1/agents/:id/test-suites': 'tests:read',
  'POST /v1/agents/:id/test-suites': 'tests:write',
  'GET /v1/test-suites/:id': 'tests:read',
  'PATCH /v1/test-suites/:id': 'tests:write',
  'DELETE /v1/test-suites/:id': 'tests:write',
  'POST /v1/agents/:id/test-runs': 'tests:run',
  'GET /v1/agents/:id/test-runs': 'tests:read',
  'GET /v1/test-runs/:id': 'tests:read',

  'GET /v1/phone-numbers': 'phone_numbers:read',
  'POST /v1/phone-numbers': 'phone_numbers:write',
  'GET /v1/phone-numbers/:id': 'phone_numbers:read',
  'PATCH /v1/phone-numbers/:id': 'phone_numbers:write',
  'DELETE /v1/phone-numbers/:id': 'phone_numbers:write',

  'POST /v1/calls': 'calls:create',
  'GET /v1/calls': 'calls:read',
  'GET /v1/calls/:id': 'calls:read',

  'GET /v1/campaigns': 'campaigns:read',
  'POST /v1/campaigns': 'campaigns:write',
  'GET /v1/campaigns/:id': 'campaigns:read',
  'PATCH /v1/campaigns/:id': 'campaigns:write',
  'DELETE /v1/campaigns/:id': 'campaigns:write',
  'POST /v1/campaigns/:id/contacts': 'campaigns:write',
  'GET /v1/campaigns/:id/contacts': 'campaigns:read',
  'POST /v1/campaigns/:id/start': 'campaigns:write',
  'POST /v1/campaigns/:id/pause': 'campaigns:write',

  'GET /v1/audit': 'audit:read',
  'GET /v1/audit/verify': 'audit:read',
};
