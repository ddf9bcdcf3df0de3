export { createAgentService, toAgentView } from './agents.ts';
export type { AgentFilters, AgentInput, AgentService, AgentStatus, AgentView } from './agents.ts';
