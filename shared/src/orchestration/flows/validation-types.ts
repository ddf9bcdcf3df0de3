/** The codes a flow validation finding can carry (a closed set; clients may branch on them). */
export const FLOW_FINDING_CODES = [
  'schema_invalid',
  'duplicate_node_id',
  'start_missing',
  'dangling_edge',
  'unreachable_node',
  'no_terminal_node',
  'loop_without_exit',
  'loop_without_wait',
  'unknown_tool',
  'unknown_agent',
  'self_delegation',
  'unknown_intent',
  'duplicate_route',
  'bad_expression',
  'bad_template',
  'unknown_slot',
  'unknown_variable',
  'enum_without_options',
  'options_ignored',
  'regex_without_pattern',
  'invalid_pattern',
  'pattern_ignored',
  'template_fallback',
  'model_unavailable',
] as const;
export type FlowFindingCode = (typeof FLOW_FINDING_CODES)[number];

/**
 * One problem found in a flow. `nodeId` names the node it concerns; it is `null` only for problems of
 * the flow as a whole that no node owns (e.g. an invalid `settings` value). `path` is the field inside
 * the node (`branches[0].when`, `next`) or, for schema errors, inside the definition (`nodes[3].next`).
 */
export interface FlowFinding {
  readonly severity: 'error' | 'warning';
  readonly code: FlowFindingCode;
  readonly nodeId: string | null;
  readonly message: string;
  readonly path?: string;
}

/** What validation checks names against. Anything with `has` works (a `Set`, a tool registry). */
export interface FlowValidationContext {
  readonly knownTools: { has(name: string): boolean };
  readonly knownAgentIds: { has(id: string): boolean };
  /** The agent's intents; when absent, intent names are not checked. */
  readonly knownIntents?: { has(name: string): boolean } | undefined;
  /** The agent the flow belongs to, so delegating to itself is caught. */
  readonly agentId?: string | null | undefined;
}

/** The outcome of validation: `valid` means no finding is an error (warnings do not block publishing). */
export interface FlowValidationResult {
  readonly valid: boolean;
  readonly findings: FlowFinding[];
}
