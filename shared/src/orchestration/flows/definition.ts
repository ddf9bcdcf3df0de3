import { z } from 'zod';

/**
 * The flow definition: a JSON graph validated by zod. It is data only — the engine (`engine/`) executes
 * it — and it names tools (`crm.find_contact`) and intents, never vendors.
 *
 * Text fields are templates: `{{slots.orderId}}`, `{{vars.customer.name}}`, `{{input.text}}`.
 * Conditions and assignments are expressions in a small safe language (see `expression.ts`):
 * literals, `slots.x`, `vars.x`, `input.text`, `result.x`, comparison, `&&`, `||`, `!`, arithmetic and a
 * few whitelisted functions (`contains`, `startsWith`, `lower`, `upper`, `len`, `number`, `matches`).
 */
export const FLOW_SCHEMA_VERSION = 1;

const nodeId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'node ids start with a letter and use letters, digits, _ and -');
const template = z.string().max(4000);
const expression = z.string().min(1).max(1000);
const variableName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names use letters, digits and _');
const toolName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'tool names are namespaced, e.g. crm.find_contact');

const base = {
  id: nodeId,
  /** Free text for builders; ignored by the engine. */
  label: z.string().max(200).optional(),
  /** Voice channels must not cut this node's speech off when the caller talks (legal text). */
  interruptible: z.boolean().optional(),
};

export const MessageNode = z.strictObject({
  ...base,
  type: z.literal('message'),
  text: template,
  next: nodeId,
});

export const SLOT_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'email',
  'phone',
  'date',
  'enum',
  'regex',
] as const;

export const CollectNode = z.strictObject({
  ...base,
  type: z.literal('collect'),
  slot: variableName,
  prompt: template,
  valueType: z.enum(SLOT_TYPES),
  /** Allowed values for `enum`. */
  options: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
  /** Pattern for `regex`. */
  pattern: z.string().max(500).optional(),
  retryPrompt: template.optional(),
  maxAttempts: z.number().int().min(1).max(10).default(3),
  next: nodeId,
  /** Where to go when attempts run out (default: a handoff is not assumed; validation requires it). */
  onFail: nodeId,
});

export const LlmNode = z.strictObject({
  ...base,
  type: z.literal('llm'),
  instructions: template,
  knowledgeBaseIds: z
    .array(z.string().regex(/^kbs_[0-9A-HJKMNP-TV-Z]{26}$/))
    .max(10)
    .optional(),
  tools: z.array(toolName).max(20).optional(),
  /** Store the reply text in `vars.<saveAs>` as well as saying it. */
  saveAs: variableName.optional(),
  /** When false the reply is stored but not said (use for internal reasoning steps). */
  say: z.boolean().default(true),
  next: nodeId,
});

export const IntentRouterNode = z.strictObject({
  ...base,
  type: z.literal('intent_router'),
  routes: z
    .array(z.strictObject({ intent: z.string().min(1).max(100), next: nodeId }))
    .min(1)
    .max(50),
  /** Minimum confidence to take a route; below it the fallback is taken. */
  threshold: z.number().min(0).max(1).default(0.5),
  fallback: nodeId,
});

export const ConditionNode = z.strictObject({
  ...base,
  type: z.literal('condition'),
  branches: z
    .array(z.strictObject({ when: expression, next: nodeId }))
    .min(1)
    .max(50),
  else: nodeId,
});

export const ToolNode = z.strictObject({
  ...base,
  type: z.literal('tool'),
  tool: toolName,
  /** Input fields: each value is an expression evaluated against the conversation. */
  input: z.record(z.string().min(1).max(64), expression).default({}),
  saveAs: variableName.optional(),
  next: nodeId,
  onError: nodeId.optional(),
});

export const DelegateNode = z.strictObject({
  ...base,
  type: z.literal('delegate'),
  agentId: z.string().regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an agent id'),
  /** Context passed down: expressions evaluated in this conversation. */
  input: z.record(z.string().min(1).max(64), expression).default({}),
  /** The delegate's result (its `vars.result`, or its final message) lands in `vars.<saveAs>`. */
  saveAs: variableName,
  next: nodeId,
  onError: nodeId.optional(),
});

export const ApprovalNode = z.strictObject({
  ...base,
  type: z.literal('approval'),
  /** What is being approved, e.g. `refund.issue`. */
  action: z.string().min(1).max(100),
  /** The proposed data (expressions); an approver may edit it. It lands in `vars.<saveAs>`. */
  data: z.record(z.string().min(1).max(64), expression).default({}),
  saveAs: variableName.optional(),
  /** Said to the user while waiting. */
  message: template.optional(),
  expiresInSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  next: nodeId,
  onReject: nodeId,
  onExpire: nodeId,
});

export const HandoffNode = z.strictObject({
  ...base,
  type: z.literal('handoff'),
  reason: z.string().min(1).max(500),
  /** Summary for the human taking over (template). */
  summary: template.optional(),
  queue: z.string().max(100).optional(),
  message: template.optional(),
});

export const SetNode = z.strictObject({
  ...base,
  type: z.literal('set'),
  assign: z.record(variableName, expression),
  next: nodeId,
});

export const EndNode = z.strictObject({
  ...base,
  type: z.literal('end'),
  message: template.optional(),
  outcome: z.enum(['resolved', 'escalated', 'abandoned']).default('resolved'),
  /** For delegated sub-conversations: the result handed back to the parent (expression). */
  result: expression.optional(),
});

export const FlowNode = z.discriminatedUnion('type', [
  MessageNode,
  CollectNode,
  LlmNode,
  IntentRouterNode,
  ConditionNode,
  ToolNode,
  DelegateNode,
  ApprovalNode,
  HandoffNode,
  SetNode,
  EndNode,
]);

export const FlowDefinition = z.strictObject({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION).default(FLOW_SCHEMA_VERSION),
  start: nodeId,
  nodes: z.array(FlowNode).min(1).max(500),
  /** Initial values of `vars` (JSON values). */
  variables: z.record(variableName, z.unknown()).default({}),
  settings: z
    .strictObject({
      maxStepsPerTurn: z.number().int().min(1).max(500).default(50),
      turnTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    })
    .default({ maxStepsPerTurn: 50, turnTimeoutMs: 30_000 }),
});

export type FlowNode = z.infer<typeof FlowNode>;
export type FlowNodeType = FlowNode['type'];
export type FlowDefinition = z.infer<typeof FlowDefinition>;
/** The definition as authored (defaults not yet applied). */
export type FlowDefinitionInput = z.input<typeof FlowDefinition>;

/** The node ids a node can move to, in a stable order (used by validation, diff and the engine). */
export function successors(node: FlowNode): string[] {
  switch (node.type) {
    case 'message':
    case 'llm':
    case 'set':
      return [node.next];
    case 'collect':
      return [node.next, node.onFail];
    case 'intent_router':
      return [...node.routes.map((route) => route.next), node.fallback];
    case 'condition':
      return [...node.branches.map((branch) => branch.next), node.else];
    case 'tool':
    case 'delegate':
      return node.onError ? [node.next, node.onError] : [node.next];
    case 'approval':
      return [node.next, node.onReject, node.onExpire];
    case 'handoff':
    case 'end':
      return [];
  }
}
