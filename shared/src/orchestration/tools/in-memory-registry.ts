import { z } from 'zod';
import { type JsonValue, type ToolDefinition, toProviderJsonSchema } from '../../intelligence/index.ts';
import type { ToolCallContext, ToolRegistry, ToolResult } from './tool-registry.ts';

/** A tool implemented in process: its input schema (zod), a description for models, and the function. */
export interface InMemoryTool<Input extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<Input>;
  /** Returns the output, or throws `ToolFailure` for an expected failure (any other throw is `tool_failed`). */
  run(input: Input, context: ToolCallContext): Promise<JsonValue> | JsonValue;
}

/** An expected tool failure with a code the flow can branch on. */
export class ToolFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ToolFailure';
    this.code = code;
  }
}

/** Declares a tool with its input type inferred from the schema. */
export function defineTool<Input extends Record<string, unknown>>(tool: InMemoryTool<Input>): InMemoryTool {
  return tool as unknown as InMemoryTool;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The tool call was aborted', 'AbortError');
}

/**
 * The in-memory tool registry: validates input against each tool's schema, runs it, and turns failures
 * into `{ ok: false }` values. Rejects only when the call's signal aborts (the turn timed out).
 *
 * @example
 * const tools = createInMemoryToolRegistry(createDemoTools());
 * await tools.call('orders.lookup', { orderNumber: '10423' }, context);
 */
export function createInMemoryToolRegistry(tools: readonly InMemoryTool[]): ToolRegistry {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const definitionOf = (tool: InMemoryTool): ToolDefinition => ({
    name: tool.name,
    description: tool.description,
    inputSchema: toProviderJsonSchema(tool.input),
  });
  return {
    has: (name) => byName.has(name),
    definitions: (names) =>
      names.flatMap((name) => {
        const tool = byName.get(name);
        return tool ? [definitionOf(tool)] : [];
      }),
    async call(name, input, context): Promise<ToolResult> {
      const tool = byName.get(name);
      if (!tool) return { ok: false, error: { code: 'unknown_tool', message: `No tool named ${name}` } };
      const parsed = tool.input.safeParse(input);
      if (!parsed.success) {
        return { ok: false, error: { code: 'invalid_input', message: z.prettifyError(parsed.error) } };
      }
      if (context.signal?.aborted) throw abortError(context.signal);
      try {
        const work = Promise.resolve(tool.run(parsed.data, context));
        const output = context.signal ? await raceAbort(work, context.signal) : await work;
        return { ok: true, output };
      } catch (error) {
        if (context.signal?.aborted) throw abortError(context.signal);
        if (error instanceof ToolFailure)
          return { ok: false, error: { code: error.code, message: error.message } };
        return {
          ok: false,
          error: { code: 'tool_failed', message: error instanceof Error ? error.message : String(error) },
        };
      }
    },
  };
}

/** Settles with `work`, or rejects as soon as `signal` aborts (the work itself cannot be cancelled). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
