export type {
  AgentCompletionDeps,
  AgentCompletionInput,
  AgentCompletionResult,
  AgentCompletionService,
} from './agent-completion.ts';
export { createAgentCompletionService, responseSchemaFromJson } from './agent-completion.ts';
export type {
  AgentLlmConfig,
  AgentModelSource,
  ResolvedAgentModels,
  ResolvedModelEntry,
} from './agent-models.ts';
export {
  AgentModelConfigError,
  agentLlmConfig,
  agentLlmConfigSchema,
  resolveAgentModels,
} from './agent-models.ts';
export type { ModelEndpointPolicy } from './endpoint-policy.ts';
export {
  checkModelEndpoint,
  createGuardedFetch,
  isPrivateAddress,
  ModelEndpointRefusedError,
} from './endpoint-policy.ts';
export type { ModelProviderSettings } from './provider-config.ts';
export type {
  ModelProviderDeps,
  ModelProviderInput,
  ModelProviderPatch,
  ModelProviderService,
  ModelProviderView,
} from './provider-service.ts';
export { createModelProviderService, toModelProviderView } from './provider-service.ts';
export type { ModelProviderTestResult } from './provider-test.ts';
export { testModelProvider } from './provider-test.ts';
