export { agents } from './agents.ts';
export { apiKeys } from './api-keys.ts';
export { approvals } from './approvals.ts';
export { auditLog } from './audit-log.ts';
export { callStatusEvents } from './call-status-events.ts';
export { calls } from './calls.ts';
export { campaignContacts } from './campaign-contacts.ts';
export type { CampaignPacingValue, CampaignRetryValue, CampaignWindowValue } from './campaigns.ts';
export { campaigns } from './campaigns.ts';
export { conversationEvents } from './conversation-events.ts';
export { conversations } from './conversations.ts';
export { documentChunks } from './document-chunks.ts';
export { documents } from './documents.ts';
export { flowVersions } from './flow-versions.ts';
export { flows } from './flows.ts';
export { handoffs } from './handoffs.ts';
export { intents } from './intents.ts';
export { knowledgeBases } from './knowledge-bases.ts';
export { memberships } from './memberships.ts';
export { messages } from './messages.ts';
export { modelCalls } from './model-calls.ts';
export { modelProviders } from './model-providers.ts';
export { outbox } from './outbox.ts';
export { phoneNumbers } from './phone-numbers.ts';
export { processedEvents } from './processed-events.ts';
export { refreshTokens } from './refresh-tokens.ts';
export { secrets } from './secrets.ts';
export { tenants } from './tenants.ts';
export { testRuns, testSuites } from './test-suites.ts';
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
  'knowledge_bases',
  'documents',
  'document_chunks',
  'secrets',
  'model_providers',
  'intents',
  'model_calls',
  'flows',
  'flow_versions',
  'conversations',
  'messages',
  'conversation_events',
  'approvals',
  'handoffs',
  'test_suites',
  'test_runs',
  'phone_numbers',
  'calls',
  'call_status_events',
  'campaigns',
  'campaign_contacts',
] as const;
