export type { AgentFilters, AgentInput, AgentService, AgentStatus, AgentView } from './agents.ts';
export { AGENT_CACHE_TTL_SECONDS, agentCacheKey, createAgentService, toAgentView } from './agents.ts';
