import type { z } from 'zod';
import { FlowDefinition } from './definition.ts';
import {
  buildGraph,
  canReach,
  cyclicComponents,
  edgesOf,
  type FlowGraph,
  reachableFrom,
  TERMINAL_TYPES,
  WAITING_TYPES,
} from './flow-graph.ts';
import { contentFindings } from './validate-content.ts';
import type { FlowFinding, FlowValidationContext, FlowValidationResult } from './validation-types.ts';

export type {
  FlowFinding,
  FlowFindingCode,
  FlowValidationContext,
  FlowValidationResult,
} from './validation-types.ts';
export { FLOW_FINDING_CODES } from './validation-types.ts';

/**
 * Static validation of a flow definition, before it is saved or published.
 *
 * Structure: the schema (zod issues mapped to the node they sit in), unique node ids, a `start` that
 * exists, edges that point at defined nodes, nodes reachable from `start` (unreachable ones are a
 * warning), at least one terminal node (`end` or `handoff`).
 *
 * Loops, defined on the strongly connected components (SCCs) of the graph that contain a cycle:
 * - `loop_without_exit` (error): no `end`/`handoff` node is reachable from the loop. A conversation that
 *   enters it can never finish.
 * - `loop_without_wait`: no node of the loop waits for someone (`collect`, `intent_router` wait for the
 *   user, `approval` for an approver), so it spins inside one turn until the engine's step limit stops it.
 *   It is an error unless a `condition` node in the loop has a branch leaving it (a counter or a test
 *   that ends the loop within the turn), in which case it is a warning.
 *
 * Content: expressions parse and read known roots; templates are balanced paths; reads of slots no
 * collect node fills (or variables never declared or set) are warnings; collect `enum` needs options,
 * `regex` a safe pattern; tools, delegate agents and (when known) intents must exist; a delegate must not
 * name the flow's own agent (deeper delegation loops are caught by the engine at run time).
 *
 * Every finding names its node (see {@link FlowFinding}); `valid` is false when any finding is an error.
 */
export function validateFlow(definition: unknown, context: FlowValidationContext): FlowValidationResult {
  const parsed = FlowDefinition.safeParse(definition);
  if (!parsed.success) {
    return { valid: false, findings: schemaFindings(definition, parsed.error) };
  }
  return validateParsedFlow(parsed.data, context);
}

/** {@link validateFlow} for a definition that already passed the schema. */
export function validateParsedFlow(
  definition: FlowDefinition,
  context: FlowValidationContext,
): FlowValidationResult {
  const graph = buildGraph(definition);
  const findings = [
    ...structureFindings(definition, graph),
    ...loopFindings(graph),
    ...contentFindings(definition, context),
  ];
  return { valid: !findings.some((finding) => finding.severity === 'error'), findings };
}

function nodeIdAt(definition: unknown, index: unknown): string | null {
  if (typeof index !== 'number' || typeof definition !== 'object' || definition === null) return null;
  const nodes = (definition as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes)) return null;
  const node: unknown = nodes[index];
  const id = typeof node === 'object' && node !== null ? (node as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : null;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

/** Maps zod issues to findings: an issue under `nodes[i]` names that node (by its id when it has one). */
export function schemaFindings(definition: unknown, error: z.ZodError): FlowFinding[] {
  return error.issues.slice(0, 100).map((issue) => {
    const path = formatPath(issue.path);
    const inNode = issue.path[0] === 'nodes' && issue.path.length > 1;
    const nodeId = inNode ? nodeIdAt(definition, issue.path[1]) : null;
    const where = inNode
      ? nodeId
        ? `node '${nodeId}' (${path})`
        : `node ${formatPath(issue.path.slice(0, 2))} (${path})`
      : path || 'definition';
    return {
      severity: 'error',
      code: 'schema_invalid',
      nodeId,
      path: path || '(root)',
      message: `${where}: ${issue.message}`,
    };
  });
}

function structureFindings(definition: FlowDefinition, graph: FlowGraph): FlowFinding[] {
  const findings: FlowFinding[] = [];
  const seen = new Set<string>();
  definition.nodes.forEach((node, index) => {
    if (seen.has(node.id)) {
      findings.push({
        severity: 'error',
        code: 'duplicate_node_id',
        nodeId: node.id,
        path: `nodes[${index}].id`,
        message: `node id '${node.id}' is used by more than one node (nodes[${index}] repeats it)`,
      });
    }
    seen.add(node.id);
  });
  if (!graph.nodes.has(definition.start)) {
    findings.push({
      severity: 'error',
      code: 'start_missing',
      nodeId: definition.start,
      path: 'start',
      message: `the start node '${definition.start}' is not defined`,
    });
  }
  for (const node of graph.nodes.values()) {
    for (const edge of edgesOf(node)) {
      if (!graph.nodes.has(edge.target)) {
        findings.push({
          severity: 'error',
          code: 'dangling_edge',
          nodeId: node.id,
          path: edge.field,
          message: `node '${node.id}' ${edge.field} points to '${edge.target}', which is not defined`,
        });
      }
    }
  }
  if (graph.nodes.has(definition.start)) {
    const reachable = reachableFrom(graph, definition.start);
    for (const id of graph.nodes.keys()) {
      if (!reachable.has(id)) {
        findings.push({
          severity: 'warning',
          code: 'unreachable_node',
          nodeId: id,
          message: `node '${id}' cannot be reached from the start node '${definition.start}'`,
        });
      }
    }
  }
  if (![...graph.nodes.values()].some((node) => TERMINAL_TYPES.has(node.type))) {
    findings.push({
      severity: 'error',
      code: 'no_terminal_node',
      nodeId: definition.start,
      message: `the flow has no end or handoff node, so no conversation can finish (starting at '${definition.start}')`,
    });
  }
  return findings;
}

function loopFindings(graph: FlowGraph): FlowFinding[] {
  const findings: FlowFinding[] = [];
  const terminals = [...graph.nodes.values()]
    .filter((node) => TERMINAL_TYPES.has(node.type))
    .map((node) => node.id);
  const finishing = canReach(graph, terminals);
  for (const component of cyclicComponents(graph)) {
    const first = component[0] as string;
    const members = new Set(component);
    const listed = component.map((id) => `'${id}'`).join(' → ');
    if (!finishing.has(first)) {
      findings.push({
        severity: 'error',
        code: 'loop_without_exit',
        nodeId: first,
        message: `nodes ${listed} form a loop from which no end or handoff node can be reached`,
      });
      continue;
    }
    const waits = component.some((id) => {
      const type = graph.nodes.get(id)?.type;
      return type !== undefined && WAITING_TYPES.has(type);
    });
    if (waits) continue;
    const decides = component.some((id) => {
      const node = graph.nodes.get(id);
      return node?.type === 'condition' && edgesOf(node).some((edge) => !members.has(edge.target));
    });
    findings.push({
      severity: decides ? 'warning' : 'error',
      code: 'loop_without_wait',
      nodeId: first,
      message: decides
        ? `nodes ${listed} loop without waiting for input; a condition must end it within one turn or the step limit stops it`
        : `nodes ${listed} loop without waiting for input and no condition leaves the loop, so a turn runs until the step limit`,
    });
  }
  return findings;
}
