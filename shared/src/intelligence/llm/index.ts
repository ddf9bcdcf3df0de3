export * from './anthropic/index.ts';
export type { EmbeddingModel, EmbeddingResult, EmbeddingUsage } from './embedding-model.ts';
export type {
  ModelCallErrorInit,
  ModelCallErrorKind,
  ModelIdentity,
  StructuredOutputIssue,
} from './errors.ts';
export {
  isModelCallError,
  isRetryableKind,
  ModelCallError,
  ModelConfigError,
  StructuredOutputError,
} from './errors.ts';
export type {
  GenerateObjectOptions,
  GenerateObjectResult,
  GenerateTextOptions,
  GenerateTextResult,
} from './generate.ts';
export { generateObject, generateText } from './generate.ts';
export type {
  AfterModelCallStep,
  BeforeModelCallStep,
  ModelCallContext,
  ModelCallHooks,
  ModelOperation,
} from './hooks.ts';
export { composeModelCallHooks } from './hooks.ts';
export { isStrictJsonSchema, toProviderJsonSchema } from './json-schema.ts';
export type {
  AssistantMessage,
  ContextDocument,
  FinishReason,
  JsonResponseFormat,
  JsonSchema,
  JsonValue,
  LanguageModel,
  LanguageModelCallOptions,
  LanguageModelRequest,
  LanguageModelResponse,
  LanguageModelUsage,
  ModelCallMetadata,
  ModelMessage,
  StreamPart,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  ToolResultMessage,
  UserMessage,
} from './language-model.ts';
export type {
  ModelCallListener,
  ModelCallRecord,
  ModelCallSettings,
  ModelSelection,
} from './model-call.ts';
export * from './offline/index.ts';
export * from './openai/index.ts';
export * from './openai-compatible/index.ts';
export { CONTEXT_HEADER, renderSystemPrompt } from './prompt-context.ts';
export type {
  EmbeddingProviderConfig,
  ModelProviderConfig,
  ModelProviderName,
  ModelRegistry,
  ModelRegistryConfig,
} from './registry.ts';
export {
  createModelRegistry,
  embeddingProviderConfigSchema,
  MODEL_PROVIDERS,
  modelProviderConfigSchema,
} from './registry.ts';
export type { RetryPolicy, Sleep } from './retry.ts';
export { DEFAULT_RETRY_POLICY, retryDelayMs } from './retry.ts';
export type { ScriptedCall, ScriptedStep } from './scripted-language-model.ts';
export { ScriptedLanguageModel } from './scripted-language-model.ts';
export type { StreamTextOptions, StreamTextResult } from './stream.ts';
export { streamText } from './stream.ts';
