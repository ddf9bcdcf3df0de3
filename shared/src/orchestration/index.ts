export type { AgentFilters, AgentInput, AgentService, AgentStatus, AgentView } from './agents.ts';
export { createAgentService, toAgentView } from './agents.ts';
