export type { AgentFilters, AgentInput, AgentService, AgentStatus, AgentView } from './agents.ts';
export { AGENT_CACHE_TTL_SECONDS, agentCacheKey, createAgentService, toAgentView } from './agents.ts';
export * from './approvals/index.ts';
export * from './conversations/index.ts';
export * from './demo/index.ts';
export * from './engine/index.ts';
export type { FlowBuilder, FlowBuilderDeps, GeneratedFlow, GenerateFlowInput } from './flows/builder.ts';
export { createFlowBuilder } from './flows/builder.ts';
export type { FlowTemplateName, TemplateDraft } from './flows/builder-templates.ts';
export { draftFromTemplates, FLOW_TEMPLATES } from './flows/builder-templates.ts';
export type { FlowDefinitionInput, FlowNodeType } from './flows/definition.ts';
export { FLOW_SCHEMA_VERSION, FlowDefinition, FlowNode, SLOT_TYPES, successors } from './flows/definition.ts';
export type { FieldChange, FlowDiff } from './flows/diff.ts';
export { diffFlows } from './flows/diff.ts';
export type { Expression, ExpressionNode, ExpressionRoot, ExpressionScope } from './flows/expression.ts';
export {
  EXPRESSION_ROOTS,
  ExpressionError,
  evaluateExpression,
  expressionReferences,
  parseExpression,
} from './flows/expression.ts';
export type { FlowVersionView, FlowView } from './flows/flow-records.ts';
export { contentHash, normaliseDefinition } from './flows/flow-records.ts';
// Added by the engine work so the composition roots can wire flows; collision-safe with explicit exports.
export * from './flows/pinning.ts';
export type { DiffSide, PublishResult } from './flows/publishing.ts';
export { checkPattern, compileSafePattern, safeMatch } from './flows/safe-pattern.ts';
export * from './flows/service.ts';
export type { ParsedTemplate } from './flows/template.ts';
export {
  checkTemplate,
  parseTemplate,
  renderTemplate,
  TemplateError,
  templateReferences,
} from './flows/template.ts';
export type {
  FlowFinding,
  FlowFindingCode,
  FlowValidationContext,
  FlowValidationResult,
} from './flows/validate.ts';
export { FLOW_FINDING_CODES, validateFlow, validateParsedFlow } from './flows/validate.ts';
export * from './testing/index.ts';
export * from './tools/index.ts';
