import { describe, expect, it } from 'vitest';
import type { LanguageModelRequest } from '../language-model.ts';
import { createToolNameCodec, toolNamesOf } from '../tool-names.ts';
import { convertToOpenAIChatRequest } from './convert-to-openai-prompt.ts';

const openai = { supportsStructuredOutputs: true, maxTokensField: 'max_completion_tokens' } as const;
const compatible = { supportsStructuredOutputs: false, maxTokensField: 'max_tokens' } as const;
const lookup = {
  name: 'orders.lookup',
  description: 'Look up an order',
  inputSchema: {
    type: 'object',
    properties: { orderId: { type: 'integer' } },
    required: ['orderId'],
    additionalProperties: false,
  },
};

function convert(request: LanguageModelRequest, capabilities: typeof openai | typeof compatible = openai) {
  return convertToOpenAIChatRequest(
    request,
    'gpt-4o-mini',
    createToolNameCodec(toolNamesOf(request)),
    capabilities,
  );
}

describe('convertToOpenAIChatRequest', () => {
  it('puts the system prompt and the rendered context first', () => {
    const body = convert({
      system: 'You are helpful.',
      context: [{ id: 'kb-1', text: 'Orders ship in 2 days.', source: 'Shipping FAQ' }],
      messages: [{ role: 'user', content: 'When do orders ship?' }],
    });
    expect(body.messages[0]).toEqual({
      role: 'system',
      content: expect.stringContaining('You are helpful.'),
    });
    expect(body.messages[0]?.content).toContain('[kb-1] (Shipping FAQ) Orders ship in 2 days.');
    expect(body.messages[1]).toEqual({ role: 'user', content: 'When do orders ship?' });
  });

  it('encodes dotted tool names for the wire and keeps tool-call ids paired', () => {
    const body = convert({
      messages: [
        { role: 'user', content: 'Order 42?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'orders.lookup', arguments: { orderId: 42 } }],
        },
        { role: 'tool', toolCallId: 'call_1', toolName: 'orders.lookup', content: '{"status":"shipped"}' },
        { role: 'tool', toolCallId: 'call_2', content: 'timeout', isError: true },
      ],
      tools: [lookup],
      toolChoice: { name: 'orders.lookup' },
    });
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'orders_lookup', description: 'Look up an order', parameters: lookup.inputSchema },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'orders_lookup' } });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'orders_lookup', arguments: '{"orderId":42}' } },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: '{"status":"shipped"}',
    });
    expect(body.messages[3]).toEqual({
      role: 'tool',
      tool_call_id: 'call_2',
      content: 'Tool error: timeout',
    });
  });

  it('asks for strict json_schema when the schema allows it', () => {
    const body = convert({
      messages: [{ role: 'user', content: 'hi' }],
      responseFormat: { type: 'json', name: 'order_intent', schema: lookup.inputSchema },
    });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'order_intent', schema: lookup.inputSchema, strict: true },
    });
  });

  it('asks for non-strict json_schema when a property is optional', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' } },
      required: [],
      additionalProperties: false,
    };
    const body = convert({
      messages: [{ role: 'user', content: 'hi' }],
      responseFormat: { type: 'json', name: 'x', schema },
    });
    expect(body.response_format).toMatchObject({ json_schema: { strict: false } });
  });

  it('falls back to json_object plus the schema in the system prompt without structured outputs', () => {
    const body = convert(
      {
        system: 'Classify.',
        messages: [{ role: 'user', content: 'hi' }],
        responseFormat: { type: 'json', name: 'order_intent', schema: lookup.inputSchema },
        maxOutputTokens: 100,
      },
      compatible,
    );
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0]?.content).toContain('Classify.');
    expect(body.messages[0]?.content).toContain('JSON schema');
    expect(body.messages[0]?.content).toContain('"orderId"');
    expect(body.max_tokens).toBe(100);
    expect(body.max_completion_tokens).toBeUndefined();
  });

  it('leaves out tool fields without tools and sets the sampling options', () => {
    const body = convert({
      messages: [{ role: 'user', content: 'hi' }],
      toolChoice: 'required',
      temperature: 0.2,
      maxOutputTokens: 50,
    });
    expect(body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      max_completion_tokens: 50,
    });
  });
});
