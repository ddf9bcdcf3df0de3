export { createDemoTools, demoOrder } from './demo-tools.ts';
export type { InMemoryTool } from './in-memory-registry.ts';
export { createInMemoryToolRegistry, defineTool, ToolFailure } from './in-memory-registry.ts';
export type { ToolCallContext, ToolRegistry, ToolResult } from './tool-registry.ts';
