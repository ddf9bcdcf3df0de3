import { canonicalJson } from '../../core/index.ts';
import type { FlowDefinition, FlowNode } from './definition.ts';

/** One field that differs between two versions of a node (or of the settings). */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** What changed between two flow definitions. */
export interface FlowDiff {
  /** True when the definitions are the same (equal canonical JSON). */
  readonly identical: boolean;
  readonly start: { readonly from: string; readonly to: string } | null;
  readonly nodes: {
    readonly added: { id: string; type: FlowNode['type'] }[];
    readonly removed: { id: string; type: FlowNode['type'] }[];
    readonly changed: { id: string; type: FlowNode['type']; fields: FieldChange[] }[];
  };
  readonly variables: {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: FieldChange[];
  };
  readonly settings: FieldChange[];
}

const same = (left: unknown, right: unknown) => canonicalJson(left ?? null) === canonicalJson(right ?? null);

function fieldChanges(from: Record<string, unknown>, to: Record<string, unknown>): FieldChange[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return keys
    .filter((key) => !same(from[key], to[key]))
    .map((key) => ({ field: key, from: from[key] ?? null, to: to[key] ?? null }));
}

function byId(nodes: readonly FlowNode[]): Map<string, FlowNode> {
  const map = new Map<string, FlowNode>();
  for (const node of nodes) if (!map.has(node.id)) map.set(node.id, node);
  return map;
}

/**
 * Compares two (normalised) definitions: nodes added, removed and changed (with the top-level fields
 * that changed, compared as canonical JSON), the start node, variables and settings. Node order alone is
 * not a change; nodes are matched by id.
 */
export function diffFlows(from: FlowDefinition, to: FlowDefinition): FlowDiff {
  const before = byId(from.nodes);
  const after = byId(to.nodes);
  const added = [...after.values()]
    .filter((node) => !before.has(node.id))
    .map(({ id, type }) => ({ id, type }));
  const removed = [...before.values()]
    .filter((node) => !after.has(node.id))
    .map(({ id, type }) => ({ id, type }));
  const changed: FlowDiff['nodes']['changed'] = [];
  for (const [id, node] of after) {
    const previous = before.get(id);
    if (!previous) continue;
    const fields = fieldChanges(previous, node);
    if (fields.length > 0) changed.push({ id, type: node.type, fields });
  }
  const variableNames = [...new Set([...Object.keys(from.variables), ...Object.keys(to.variables)])].sort();
  const variables = {
    added: variableNames.filter((name) => !(name in from.variables)),
    removed: variableNames.filter((name) => !(name in to.variables)),
    changed: variableNames
      .filter((name) => name in from.variables && name in to.variables)
      .filter((name) => !same(from.variables[name], to.variables[name]))
      .map((name) => ({ field: name, from: from.variables[name], to: to.variables[name] })),
  };
  return {
    identical: same(from, to),
    start: from.start === to.start ? null : { from: from.start, to: to.start },
    nodes: { added, removed, changed },
    variables,
    settings: fieldChanges(from.settings, to.settings),
  };
}
