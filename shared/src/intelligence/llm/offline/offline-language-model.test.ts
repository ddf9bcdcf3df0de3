import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateObject, generateText } from '../generate.ts';
import { toProviderJsonSchema } from '../json-schema.ts';
import type { LanguageModelRequest, StreamPart } from '../language-model.ts';
import { renderSystemPrompt } from '../prompt-context.ts';
import { OFFLINE_NO_ANSWER } from './offline-answer.ts';
import { OfflineLanguageModel } from './offline-language-model.ts';

const model = new OfflineLanguageModel();
const context = [
  {
    id: 'kb-shipping',
    text: 'Standard orders ship within two business days. Express orders ship the same day if placed before noon.',
    source: 'Shipping FAQ',
  },
  {
    id: 'kb-refunds',
    text: 'Refunds are issued to the original payment method within five days of the return arriving.',
  },
  { id: 'kb-hours', text: 'Our support team is available Monday to Friday from 8am to 6pm.' },
];
const lookup = {
  name: 'orders.lookup',
  description: 'Look up an order by its number and return its status, carrier and delivery estimate.',
  inputSchema: {
    type: 'object',
    properties: { orderId: { type: 'integer', description: 'The order number' } },
    required: ['orderId'],
    additionalProperties: false,
  },
};
const search = {
  name: 'kb.search',
  description: 'Search the help centre articles for a question.',
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

describe('OfflineLanguageModel: answers from context', () => {
  it('quotes the most relevant sentences and cites their ids', async () => {
    const response = await model.generate({
      messages: [{ role: 'user', content: 'How long do refunds take?' }],
      context,
    });
    expect(response.text).toBe(
      'Refunds are issued to the original payment method within five days of the return arriving. [kb-refunds]',
    );
    expect(response.providerMetadata).toEqual({ offline: true, citations: ['kb-refunds'], mode: 'context' });
    expect(response.provider).toBe('offline');
    expect(response.finishReason).toBe('stop');
  });

  it('ranks by the question, quoting several passages when they match', async () => {
    const response = await model.generate({
      messages: [{ role: 'user', content: 'When do express orders ship?' }],
      context,
    });
    expect(
      response.text.startsWith('Express orders ship the same day if placed before noon. [kb-shipping]'),
    ).toBe(true);
    expect(response.providerMetadata).toMatchObject({ citations: ['kb-shipping'] });
  });

  it('reads passages rendered into the system prompt', async () => {
    const response = await model.generate({
      system: renderSystemPrompt({ system: 'You are a support agent.', context }),
      messages: [{ role: 'user', content: 'When is the support team available?' }],
    });
    expect(response.text).toBe('Our support team is available Monday to Friday from 8am to 6pm. [kb-hours]');
  });

  it('says so when the context does not cover the question', async () => {
    const response = await model.generate({
      messages: [{ role: 'user', content: 'Do you sell bicycles?' }],
      context,
    });
    expect(response.text).toBe(OFFLINE_NO_ANSWER);
    expect(response.providerMetadata).toMatchObject({ offline: true, citations: [] });
  });

  it('gives the same reply to the same request, every time', async () => {
    const request: LanguageModelRequest = {
      messages: [{ role: 'user', content: 'How fast is shipping for standard orders?' }],
      context,
    };
    const first = await model.generate(request);
    const second = await new OfflineLanguageModel().generate(request);
    expect({ ...second, latencyMs: 0 }).toEqual({ ...first, latencyMs: 0 });
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeGreaterThan(0);
  });
});

describe('OfflineLanguageModel: tools', () => {
  const ask = { role: 'user' as const, content: 'Hi, can you look up the status of order 42 for me?' };

  it('calls the tool whose description matches, with arguments from the message', async () => {
    const response = await model.generate({ messages: [ask], tools: [search, lookup] });
    expect(response.finishReason).toBe('tool-calls');
    expect(response.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_offline_/), name: 'orders.lookup', arguments: { orderId: 42 } },
    ]);
  });

  it('does not call a tool whose required arguments are missing, or when told not to', async () => {
    const noNumber = await model.generate({
      messages: [{ role: 'user', content: 'Can you look up the status of my order?' }],
      tools: [lookup],
    });
    expect(noNumber.toolCalls).toEqual([]);
    const none = await model.generate({ messages: [ask], tools: [lookup], toolChoice: 'none' });
    expect(none.toolCalls).toEqual([]);
  });

  it('calls the forced tool', async () => {
    const response = await model.generate({
      messages: [{ role: 'user', content: 'Shipping times please' }],
      tools: [lookup, search],
      toolChoice: { name: 'kb.search' },
    });
    expect(response.toolCalls[0]).toMatchObject({
      name: 'kb.search',
      arguments: { query: 'Shipping times please' },
    });
  });

  it('phrases the tool result as the final answer', async () => {
    const call = { id: 'call_1', name: 'orders.lookup', arguments: { orderId: 42 } };
    const response = await model.generate({
      messages: [
        ask,
        { role: 'assistant', content: '', toolCalls: [call] },
        {
          role: 'tool',
          toolCallId: 'call_1',
          toolName: 'orders.lookup',
          content: '{"orderId":42,"status":"shipped","carrier":"DHL","estimatedDelivery":"2026-05-06"}',
        },
      ],
      tools: [lookup],
    });
    expect(response.toolCalls).toEqual([]);
    expect(response.text).toBe(
      'Here is what orders.lookup returned: order id: 42; status: shipped; carrier: DHL; estimated delivery: 2026-05-06.',
    );
    expect(response.providerMetadata).toMatchObject({ mode: 'tool-result' });
  });
});

describe('OfflineLanguageModel: structured replies', () => {
  const schema = z.object({
    intent: z.enum(['order_status', 'refund', 'cancel_order', 'other']),
    orderId: z.number().int(),
  });

  it('fills the schema from the user text', async () => {
    const response = await model.generate({
      messages: [{ role: 'user', content: 'Hi, can you look up the status of order 42 for me?' }],
      responseFormat: { type: 'json', name: 'order_intent', schema: toProviderJsonSchema(schema) },
    });
    expect(JSON.parse(response.text)).toEqual({ intent: 'order_status', orderId: 42 });
    expect(response.providerMetadata).toMatchObject({ offline: true, mode: 'structured' });
  });

  it('classifies other intents by similarity', async () => {
    const { object } = await generateObject({
      model,
      schema,
      messages: [{ role: 'user', content: 'Please cancel order 7, I ordered the wrong size' }],
    });
    expect(object).toEqual({ intent: 'cancel_order', orderId: 7 });
  });

  it('reads the question, not the repair feedback, when asked again', async () => {
    const response = await model.generate({
      messages: [
        { role: 'user', content: 'I want a refund for order 19' },
        { role: 'assistant', content: '{"intent":"x"}' },
        {
          role: 'user',
          content: 'Your previous reply did not match: expected one of order_status|cancel_order',
        },
      ],
      responseFormat: { type: 'json', name: 'order_intent', schema: toProviderJsonSchema(schema) },
    });
    expect(JSON.parse(response.text)).toEqual({ intent: 'refund', orderId: 19 });
  });
});

describe('OfflineLanguageModel: streaming', () => {
  it('streams exactly what generate returns', async () => {
    const request: LanguageModelRequest = {
      messages: [{ role: 'user', content: 'How long do refunds take?' }],
      context,
    };
    const parts = await collect(model.stream(request));
    const text = parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');
    expect(text).toBe((await model.generate(request)).text);
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThan(5);
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'stop',
      providerMetadata: { offline: true },
    });
  });

  it('streams tool calls and honours abort', async () => {
    const parts = await collect(
      model.stream({ messages: [{ role: 'user', content: 'look up order 42 status' }], tools: [lookup] }),
    );
    expect(parts.map((part) => part.type)).toEqual(['tool-call-delta', 'tool-call', 'finish']);
    const controller = new AbortController();
    const stream = model.stream(
      { messages: [{ role: 'user', content: 'refunds?' }], context },
      { signal: controller.signal },
    );
    const seen: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of stream) {
        seen.push(part);
        controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'aborted' });
  });

  it('works through the core like any provider', async () => {
    const result = await generateText({
      model,
      messages: [{ role: 'user', content: 'refund timing?' }],
      context,
    });
    expect(result.provider).toBe('offline');
    expect(result.attempts).toMatchObject([{ provider: 'offline', outcome: 'success' }]);
  });
});
