import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObject } from '../../../shared/src/index.ts';
import {
  ANTHROPIC_KEY,
  OPENAI_KEY,
  ORDER_INTENT,
  type ProviderFixture,
  runOrderConversation,
  startProviders,
  streamToResult,
  USER_MESSAGE,
} from './order-conversation.ts';

let fixture: ProviderFixture;
beforeAll(async () => {
  fixture = await startProviders();
});
afterAll(async () => {
  await fixture.close();
});

const PROVIDERS = ['openai', 'anthropic', 'openai-compatible', 'offline'] as const;

describe.each(PROVIDERS)('the order conversation on %s', (provider) => {
  it('calls orders.lookup with { orderId: 42 }, then answers from the tool result', async () => {
    const { first, second } = await runOrderConversation(fixture.models[provider], 'generate');
    expect(first.toolCalls).toEqual([
      { id: expect.any(String), name: 'orders.lookup', arguments: { orderId: 42 } },
    ]);
    expect(second.finishReason).toBe('stop');
    expect(second.toolCalls).toEqual([]);
    expect(second.text).toMatch(/shipped/);
    expect(second.text).toMatch(/DHL/);
    expect(second.usage.inputTokens).toBeGreaterThan(0);
    expect(second.provider).toBe(fixture.models[provider].provider);
    expect(second.attempts).toMatchObject([
      { outcome: 'success', metadata: { tenantId: 'ten_1', agentId: 'agt_orders' } },
    ]);
  });

  it('streams the same text and tool calls as it generates', async () => {
    const generated = await runOrderConversation(fixture.models[provider], 'generate');
    const streamed = await runOrderConversation(fixture.models[provider], 'stream');
    for (const turn of ['first', 'second'] as const) {
      expect(streamed[turn].text).toBe(generated[turn].text);
      expect(streamed[turn].toolCalls).toEqual(generated[turn].toolCalls);
      expect(streamed[turn].finishReason).toBe(generated[turn].finishReason);
      expect(streamed[turn].usage).toEqual(generated[turn].usage);
    }
  });

  it('classifies the message into { intent: order_status, orderId: 42 }', async () => {
    const result = await generateObject({
      model: fixture.models[provider],
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
    });
    expect(result.object).toEqual({ intent: 'order_status', orderId: 42 });
    expect(result.repaired).toBe(false);
  });

  it('streams the structured reply too', async () => {
    const { parts, result } = await streamToResult(fixture.models[provider], {
      messages: [USER_MESSAGE],
      responseFormat: { type: 'json', name: 'order_intent', schema: ORDER_INTENT.toJSONSchema() },
    });
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThan(1);
    expect(ORDER_INTENT.parse(JSON.parse(result.text))).toEqual({ intent: 'order_status', orderId: 42 });
  });
});

describe('what goes over the wire', () => {
  it('openai: bearer key, encoded tool names, paired tool results, strict json_schema', async () => {
    const server = fixture.openaiServer;
    const start = server.requests.length;
    await runOrderConversation(fixture.models.openai, 'generate');
    await generateObject({
      model: fixture.models.openai,
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
    });
    const [toolTurn, answerTurn, structured] = server.requests.slice(start).map((request) => request);
    expect(toolTurn?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(toolTurn?.body).toMatchObject({
      model: 'gpt-4o-mini',
      tools: [{ type: 'function', function: { name: 'orders_lookup' } }],
      messages: [{ role: 'system' }, { role: 'user', content: USER_MESSAGE.content }],
    });
    expect(answerTurn?.body).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'call_Zr8kP2mWq4TnX6vB1yH3sJ9d', function: { name: 'orders_lookup' } }],
        },
        { role: 'tool', tool_call_id: 'call_Zr8kP2mWq4TnX6vB1yH3sJ9d' },
      ],
    });
    expect(structured?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'order_intent', strict: true } },
    });
  });

  it('openai-compatible: no key, json_object with the schema in the prompt', async () => {
    const server = fixture.compatibleServer;
    const start = server.requests.length;
    await generateObject({
      model: fixture.models['openai-compatible'],
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
      maxOutputTokens: 200,
    });
    const [request] = server.requests.slice(start);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({
      model: 'llama3.1:8b',
      response_format: { type: 'json_object' },
      max_tokens: 200,
    });
  });

  it('anthropic: key, version header, tool results in the user turn, structured output as a forced tool', async () => {
    const server = fixture.anthropicServer;
    const start = server.requests.length;
    await runOrderConversation(fixture.models.anthropic, 'generate');
    await generateObject({
      model: fixture.models.anthropic,
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
    });
    const [toolTurn, answerTurn, structured] = server.requests.slice(start);
    const key = toolTurn?.headers['x-api-key'] ?? toolTurn?.headers.authorization?.replace('Bearer ', '');
    expect(key).toBe(ANTHROPIC_KEY);
    expect(toolTurn?.headers['anthropic-version']).toBeDefined();
    expect(toolTurn?.body).toMatchObject({
      model: 'claude-sonnet-4-6',
      max_tokens: 4096,
      tools: [{ name: 'orders_lookup' }],
    });
    expect(answerTurn?.body).toMatchObject({
      messages: [
        { role: 'user' },
        {
          role: 'assistant',
          content: [{ type: 'text' }, { type: 'tool_use', id: 'toolu_01Tq8WmZ3rXk5NvB7pY2hJ4c' }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Tq8WmZ3rXk5NvB7pY2hJ4c' }] },
      ],
    });
    expect(structured?.body).toMatchObject({
      tool_choice: { type: 'tool', name: 'order_intent' },
      tools: [{ name: 'order_intent', input_schema: { type: 'object', required: ['intent', 'orderId'] } }],
    });
  });

  it('offline: every reply is marked offline', async () => {
    const { first, second } = await runOrderConversation(fixture.models.offline, 'generate');
    expect(first.providerMetadata).toMatchObject({ offline: true });
    expect(second.providerMetadata).toMatchObject({ offline: true });
  });
});
