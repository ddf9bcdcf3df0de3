/**
 * Layer 02, Intelligence: model access (the language- and embedding-model ports, their OpenAI,
 * Anthropic, OpenAI-compatible and offline adapters, and the core that calls them).
 */

export * from './intent/index.ts';
export * from './llm/index.ts';
export * from './models/index.ts';
export * from './rag/index.ts';
