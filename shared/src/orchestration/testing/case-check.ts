import type { FlowDefinition } from '../flows/definition.ts';
import type { TestCase } from './model.ts';

/** A problem of a case against the flow it runs on: an expectation that can never hold. */
export interface CaseFinding {
  /** The turn (0-based) and expectation (0-based) concerned. */
  readonly turn: number;
  readonly expectation: number;
  readonly message: string;
}

/** What of a flow the expectations may name. */
export interface FlowVocabulary {
  readonly nodes: ReadonlySet<string>;
  readonly slots: ReadonlySet<string>;
  /** Tools the flow calls itself (tool nodes and tools offered to llm nodes). */
  readonly tools: ReadonlySet<string>;
  /** Whether the flow delegates: its delegates may call tools the flow does not name. */
  readonly delegates: boolean;
}

/** The node ids, slots and tools of a flow. */
export function vocabularyOf(definition: FlowDefinition): FlowVocabulary {
  const nodes = new Set<string>();
  const slots = new Set<string>();
  const tools = new Set<string>();
  let delegates = false;
  for (const node of definition.nodes) {
    nodes.add(node.id);
    if (node.type === 'collect') slots.add(node.slot);
    if (node.type === 'tool') tools.add(node.tool);
    if (node.type === 'llm') for (const tool of node.tools ?? []) tools.add(tool);
    if (node.type === 'delegate') delegates = true;
  }
  return { nodes, slots, tools, delegates };
}

const list = (values: ReadonlySet<string>) =>
  values.size === 0
    ? 'none'
    : [...values]
        .slice(0, 20)
        .map((value) => `'${value}'`)
        .join(', ') + (values.size > 20 ? ', …' : '');

/**
 * The expectations of a case that name what the target flow does not have: unknown node ids, slots
 * no collect node fills, tools the flow never calls (`knownTools` — the tool registry — decides for
 * flows that delegate, since a delegate may call other tools).
 */
export function checkCase(
  testCase: TestCase,
  vocabulary: FlowVocabulary,
  knownTools: { has(name: string): boolean },
): CaseFinding[] {
  const findings: CaseFinding[] = [];
  testCase.turns.forEach((turn, turnIndex) => {
    turn.expect.forEach((expectation, index) => {
      const add = (message: string) =>
        findings.push({ turn: turnIndex, expectation: index, message: `turn ${turnIndex + 1}: ${message}` });
      if (expectation.type === 'node_reached' && !vocabulary.nodes.has(expectation.node)) {
        add(`node '${expectation.node}' is not a node of the flow (nodes: ${list(vocabulary.nodes)})`);
      }
      if (expectation.type === 'slot' && !vocabulary.slots.has(expectation.name)) {
        add(
          `slot '${expectation.name}' is filled by no collect node of the flow (slots: ${list(vocabulary.slots)})`,
        );
      }
      if (expectation.type === 'tool_called') {
        const known =
          vocabulary.tools.has(expectation.tool) ||
          (vocabulary.delegates && knownTools.has(expectation.tool));
        if (!known)
          add(`tool '${expectation.tool}' is never called by the flow (tools: ${list(vocabulary.tools)})`);
      }
    });
  });
  return findings;
}
