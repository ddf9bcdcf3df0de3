import type { FlowDefinition, FlowNode } from './definition.ts';

/** One outgoing edge of a node: the field that holds it (`next`, `routes[1].next`, `onFail`…) and its target. */
export interface FlowEdge {
  readonly field: string;
  readonly target: string;
}

/** The outgoing edges of a node with the fields they come from (same targets and order as `successors`). */
export function edgesOf(node: FlowNode): FlowEdge[] {
  switch (node.type) {
    case 'message':
    case 'llm':
    case 'set':
      return [{ field: 'next', target: node.next }];
    case 'collect':
      return [
        { field: 'next', target: node.next },
        { field: 'onFail', target: node.onFail },
      ];
    case 'intent_router':
      return [
        ...node.routes.map((route, index) => ({ field: `routes[${index}].next`, target: route.next })),
        { field: 'fallback', target: node.fallback },
      ];
    case 'condition':
      return [
        ...node.branches.map((branch, index) => ({ field: `branches[${index}].next`, target: branch.next })),
        { field: 'else', target: node.else },
      ];
    case 'tool':
    case 'delegate':
      return [
        { field: 'next', target: node.next },
        ...(node.onError ? [{ field: 'onError', target: node.onError }] : []),
      ];
    case 'approval':
      return [
        { field: 'next', target: node.next },
        { field: 'onReject', target: node.onReject },
        { field: 'onExpire', target: node.onExpire },
      ];
    case 'handoff':
    case 'end':
      return [];
  }
}

/** Nodes that end a conversation's flow (`end`) or hand it to a human (`handoff`). */
export const TERMINAL_TYPES: ReadonlySet<FlowNode['type']> = new Set(['end', 'handoff']);
/** Nodes that stop the turn and wait for the user (`collect`, `intent_router`) or an approver (`approval`). */
export const WAITING_TYPES: ReadonlySet<FlowNode['type']> = new Set(['collect', 'intent_router', 'approval']);

/** The flow as a graph over its defined nodes (first definition wins for a duplicated id). */
export interface FlowGraph {
  readonly nodes: ReadonlyMap<string, FlowNode>;
  /** Successors that exist, per node id, in edge order without duplicates. */
  readonly adjacency: ReadonlyMap<string, readonly string[]>;
}

export function buildGraph(definition: FlowDefinition): FlowGraph {
  const nodes = new Map<string, FlowNode>();
  for (const node of definition.nodes) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const adjacency = new Map<string, string[]>();
  for (const [id, node] of nodes) {
    adjacency.set(
      id,
      [...new Set(edgesOf(node).map((edge) => edge.target))].filter((target) => nodes.has(target)),
    );
  }
  return { nodes, adjacency };
}

/** Ids reachable from `from` (inclusive) following edges. */
export function reachableFrom(graph: FlowGraph, from: string): Set<string> {
  const seen = new Set<string>();
  if (!graph.nodes.has(from)) return seen;
  const pending = [from];
  seen.add(from);
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    for (const next of graph.adjacency.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return seen;
}

/** Ids from which some node of `targets` is reachable (inclusive), by walking edges backwards. */
export function canReach(graph: FlowGraph, targets: Iterable<string>): Set<string> {
  const reverse = new Map<string, string[]>();
  for (const [id, nexts] of graph.adjacency) {
    for (const next of nexts) reverse.set(next, [...(reverse.get(next) ?? []), id]);
  }
  const seen = new Set<string>(targets);
  const pending = [...seen];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    for (const previous of reverse.get(id) ?? []) {
      if (!seen.has(previous)) {
        seen.add(previous);
        pending.push(previous);
      }
    }
  }
  return seen;
}

/**
 * The cycles of the graph as strongly connected components (Tarjan, iterative so a 500-node chain
 * cannot overflow the stack). Only components that contain a cycle are returned: more than one node,
 * or one node with an edge to itself. Members are in definition order.
 */
export function cyclicComponents(graph: FlowGraph): string[][] {
  const order = [...graph.nodes.keys()];
  const position = new Map(order.map((id, index) => [id, index]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of order) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const successors = graph.adjacency.get(frame.id) ?? [];
      const successor = successors[frame.next];
      if (successor !== undefined) {
        frame.next += 1;
        if (!index.has(successor)) {
          index.set(successor, counter);
          low.set(successor, counter);
          counter += 1;
          stack.push(successor);
          onStack.add(successor);
          work.push({ id: successor, next: 0 });
        } else if (onStack.has(successor)) {
          low.set(frame.id, Math.min(low.get(frame.id) ?? 0, index.get(successor) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) ?? 0, low.get(frame.id) ?? 0));
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === frame.id) break;
      }
      const selfLoop = component.length === 1 && (graph.adjacency.get(frame.id) ?? []).includes(frame.id);
      if (component.length > 1 || selfLoop) {
        components.push(component.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0)));
      }
    }
  }
  return components.sort((a, b) => (position.get(a[0] ?? '') ?? 0) - (position.get(b[0] ?? '') ?? 0));
}
