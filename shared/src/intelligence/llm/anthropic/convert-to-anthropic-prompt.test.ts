import { describe, expect, it } from 'vitest';
import type { LanguageModelRequest } from '../language-model.ts';
import { createToolNameCodec, toolNamesOf } from '../tool-names.ts';
import { convertToAnthropicMessagesRequest } from './convert-to-anthropic-prompt.ts';

const lookup = {
  name: 'orders.lookup',
  description: 'Look up an order',
  inputSchema: { type: 'object', properties: { orderId: { type: 'integer' } }, required: ['orderId'] },
};

function convert(request: LanguageModelRequest) {
  return convertToAnthropicMessagesRequest(
    request,
    'claude-sonnet-4-6',
    createToolNameCodec(toolNamesOf(request)),
    4096,
  );
}

describe('convertToAnthropicMessagesRequest', () => {
  it('sends tool results as user turns and merges consecutive turns of one role', () => {
    const { body } = convert({
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Orders 42 and 43?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'toolu_1', name: 'orders.lookup', arguments: { orderId: 42 } },
            { id: 'toolu_2', name: 'orders.lookup', arguments: { orderId: 43 } },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_1', content: '{"status":"shipped"}' },
        { role: 'tool', toolCallId: 'toolu_2', content: 'not found', isError: true },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [lookup],
    });
    expect(body.system).toBe('Be brief.');
    expect(body.max_tokens).toBe(4096);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Orders 42 and 43?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'orders_lookup', input: { orderId: 42 } },
          { type: 'tool_use', id: 'toolu_2', name: 'orders_lookup', input: { orderId: 43 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"status":"shipped"}' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'not found', is_error: true },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'orders_lookup', description: 'Look up an order', input_schema: lookup.inputSchema },
    ]);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['required', { type: 'any' }],
    ['none', { type: 'none' }],
    [{ name: 'orders.lookup' }, { type: 'tool', name: 'orders_lookup' }],
  ] as const)('maps tool choice %j', (choice, expected) => {
    const { body } = convert({
      messages: [{ role: 'user', content: 'x' }],
      tools: [lookup],
      toolChoice: choice,
    });
    expect(body.tool_choice).toEqual(expected);
  });

  it('turns a JSON response format into one forced tool', () => {
    const schema = { type: 'object', properties: { intent: { type: 'string' } }, required: ['intent'] };
    const prompt = convert({
      messages: [{ role: 'user', content: 'x' }],
      tools: [lookup],
      responseFormat: { type: 'json', name: 'order_intent', schema },
      maxOutputTokens: 300,
    });
    expect(prompt.responseToolName).toBe('order_intent');
    expect(prompt.body.tools?.[1]).toMatchObject({ name: 'order_intent', input_schema: schema });
    expect(prompt.body.tool_choice).toEqual({ type: 'tool', name: 'order_intent' });
    expect(prompt.body.max_tokens).toBe(300);
  });

  it('avoids a clash between the response tool and a declared tool', () => {
    const prompt = convert({
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ ...lookup, name: 'answer' }],
      responseFormat: { type: 'json', name: 'answer', schema: { type: 'object' } },
    });
    expect(prompt.responseToolName).toBe('answer_response');
  });

  it('renders context into the system prompt', () => {
    const { body } = convert({
      messages: [{ role: 'user', content: 'x' }],
      context: [{ id: 'kb-1', text: 'Refunds take 5 days.' }],
    });
    expect(body.system).toContain('[kb-1] Refunds take 5 days.');
  });
});
