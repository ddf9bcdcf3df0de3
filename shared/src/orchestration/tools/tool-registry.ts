import type { JsonValue, ToolDefinition } from '../../intelligence/index.ts';

/**
 * The tool port the engine calls: flows and LLM nodes name tools (`orders.lookup`, `crm.create_lead`),
 * never vendors. The integration layer will provide the connector-backed implementation; the in-memory
 * registry (`in-memory-registry.ts`) is a real, working adapter used by the embedded default and tests.
 */

/** Who a tool call is made for; connectors use it for tenancy, tracing and idempotency. */
export interface ToolCallContext {
  readonly tenantId: string;
  readonly agentId: string;
  readonly conversationId: string;
  readonly nodeId: string;
  /**
   * Stable for one logical call: a step replayed after a restart passes the same key, so a connector
   * that honours it performs the side effect once.
   */
  readonly idempotencyKey: string;
  /** Aborted when the turn times out. */
  readonly signal?: AbortSignal;
}

/** A tool's answer: a value, or an error the flow may branch on (`onError`). Expected failures are values. */
export type ToolResult =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** The registry port. */
export interface ToolRegistry {
  /** Whether a tool with this name is available. */
  has(name: string): boolean;
  /** Definitions (name, description, JSON schema of the input) of the known tools among `names`, in order. */
  definitions(names: readonly string[]): ToolDefinition[];
  /**
   * Calls a tool. Unknown tools, invalid input and tool failures are `{ ok: false }`; the promise rejects
   * only when `context.signal` aborts.
   */
  call(name: string, input: Readonly<Record<string, unknown>>, context: ToolCallContext): Promise<ToolResult>;
}
