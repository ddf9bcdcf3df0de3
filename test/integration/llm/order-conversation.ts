import { expect } from 'vitest';
import { z } from 'zod';
import {
  createModelRegistry,
  type GenerateTextResult,
  generateText,
  type LanguageModel,
  type LanguageModelRequest,
  type ModelMessage,
  type StreamPart,
  streamText,
  type ToolDefinition,
} from '../../../shared/src/index.ts';
import { startAnthropicServer } from '../../support/llm-servers/anthropic-server.ts';
import type { FixtureServer } from '../../support/llm-servers/fixture-server.ts';
import { startOpenAIServer } from '../../support/llm-servers/openai-server.ts';

/*
 * The agent conversation every provider must carry the same way: the user asks about order 42,
 * the model calls `orders.lookup`, the tool answers, the model answers; and a structured request
 * that classifies the same message.
 */

export const OPENAI_KEY = 'sk-test-5dXwRk2P9qTz';
export const ANTHROPIC_KEY = 'sk-ant-test-9a4d4e8b';

export const SYSTEM =
  "You are LuMay's order assistant. Use the tools to look orders up and answer in one sentence.";
export const USER_MESSAGE: ModelMessage = {
  role: 'user',
  content: 'Hi, can you look up the status of order 42 for me?',
};

export const ORDERS_LOOKUP: ToolDefinition = {
  name: 'orders.lookup',
  description: 'Look up an order by its number and return its status, carrier and delivery estimate.',
  inputSchema: {
    type: 'object',
    properties: { orderId: { type: 'integer', description: 'The order number' } },
    required: ['orderId'],
    additionalProperties: false,
  },
};

export const ORDER_INTENT = z.object({
  intent: z.enum(['order_status', 'refund', 'cancel_order', 'other']).describe('What the customer wants'),
  orderId: z.number().int().describe('The order number the customer mentions'),
});

/** The tool itself: what the integration layer would answer for `orders.lookup`. */
export function lookupOrder(orderId: unknown): string {
  return JSON.stringify({ orderId, status: 'shipped', carrier: 'DHL', estimatedDelivery: '2026-05-06' });
}

/** The three local vendor servers and a model of each provider pointed at them. */
export interface ProviderFixture {
  readonly openaiServer: FixtureServer;
  readonly compatibleServer: FixtureServer;
  readonly anthropicServer: FixtureServer;
  readonly models: Readonly<Record<'openai' | 'anthropic' | 'openai-compatible' | 'offline', LanguageModel>>;
  close(): Promise<void>;
}

/** Starts the servers; the models are built from configuration objects only, as agents select them. */
export async function startProviders(): Promise<ProviderFixture> {
  const [openaiServer, compatibleServer, anthropicServer] = await Promise.all([
    startOpenAIServer({ apiKey: OPENAI_KEY }),
    startOpenAIServer(),
    startAnthropicServer({ apiKey: ANTHROPIC_KEY }),
  ]);
  const registry = createModelRegistry({
    apiKeys: { openai: OPENAI_KEY, anthropic: ANTHROPIC_KEY },
    timeoutMs: 10_000,
  });
  const models = {
    openai: registry.languageModel({
      provider: 'openai',
      model: 'gpt-4o-mini',
      baseUrl: `${openaiServer.baseUrl}/v1`,
    }),
    anthropic: registry.languageModel({
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      baseUrl: anthropicServer.baseUrl,
    }),
    'openai-compatible': registry.languageModel({
      provider: 'openai-compatible',
      name: 'ollama',
      model: 'llama3.1:8b',
      baseUrl: `${compatibleServer.baseUrl}/v1`,
    }),
    offline: registry.languageModel({ provider: 'offline', model: 'offline' }),
  };
  return {
    openaiServer,
    compatibleServer,
    anthropicServer,
    models,
    close: async () => {
      await Promise.all([openaiServer.close(), compatibleServer.close(), anthropicServer.close()]);
    },
  };
}

/** Collects a stream into the shape of a generate result. */
export async function streamToResult(
  model: LanguageModel,
  request: LanguageModelRequest,
): Promise<{ parts: StreamPart[]; result: GenerateTextResult }> {
  const stream = streamText({ model, ...request });
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return { parts, result: await stream.response };
}

/** Runs both turns of the order conversation, with generate or stream. */
export async function runOrderConversation(model: LanguageModel, mode: 'generate' | 'stream') {
  const call = (request: LanguageModelRequest) =>
    mode === 'generate'
      ? generateText({ model, ...request })
      : streamToResult(model, request).then(({ result }) => result);
  const base = {
    system: SYSTEM,
    tools: [ORDERS_LOOKUP],
    metadata: { tenantId: 'ten_1', agentId: 'agt_orders' },
  };
  const first = await call({ ...base, messages: [USER_MESSAGE] });
  expect(first.finishReason).toBe('tool-calls');
  const [toolCall] = first.toolCalls;
  if (!toolCall) throw new Error(`${model.provider} did not call a tool`);
  const second = await call({
    ...base,
    messages: [
      USER_MESSAGE,
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      {
        role: 'tool',
        toolCallId: toolCall.id,
        toolName: toolCall.name,
        content: lookupOrder(toolCall.arguments.orderId),
      },
    ],
  });
  return { first, second };
}
