export type { AgentFilters, AgentInput, AgentService, AgentStatus, AgentView } from './agents.ts';
export { AGENT_CACHE_TTL_SECONDS, agentCacheKey, createAgentService, toAgentView } from './agents.ts';
export type { Expression, ExpressionNode, ExpressionRoot, ExpressionScope } from './flows/expression.ts';
export {
  EXPRESSION_ROOTS,
  ExpressionError,
  evaluateExpression,
  expressionReferences,
  parseExpression,
} from './flows/expression.ts';
export { checkPattern, compileSafePattern, safeMatch } from './flows/safe-pattern.ts';
export type { ParsedTemplate } from './flows/template.ts';
export { checkTemplate, parseTemplate, renderTemplate, TemplateError, templateReferences } from './flows/template.ts';
export * from './approvals/index.ts';
export * from './conversations/index.ts';
export * from './demo/index.ts';
export * from './engine/index.ts';
export * from './tools/index.ts';
// Added by the engine work so the composition roots can wire flows; collision-safe with explicit exports.
export * from './flows/pinning.ts';
export * from './flows/service.ts';
