import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StructuredOutputError } from './errors.ts';
import { generateObject } from './generate.ts';
import { ScriptedLanguageModel } from './scripted-language-model.ts';

const schema = z.object({
  intent: z.enum(['order_status', 'refund', 'other']),
  orderId: z.number().int(),
});
const messages = [{ role: 'user' as const, content: 'Where is order 42?' }];

describe('generateObject', () => {
  it('sends the zod schema as a JSON response format and returns the validated object', async () => {
    const model = new ScriptedLanguageModel({
      steps: [{ type: 'response', text: '{"intent":"order_status","orderId":42}' }],
    });
    const result = await generateObject({ model, schema, schemaName: 'order_intent', messages });
    expect(result.object).toEqual({ intent: 'order_status', orderId: 42 });
    expect(result.repaired).toBe(false);
    const format = model.calls[0]?.request.responseFormat;
    expect(format?.name).toBe('order_intent');
    expect(format?.schema).toMatchObject({
      type: 'object',
      properties: { intent: { enum: ['order_status', 'refund', 'other'] }, orderId: { type: 'integer' } },
      required: ['intent', 'orderId'],
      additionalProperties: false,
    });
    expect(format?.schema).not.toHaveProperty('$schema');
  });

  it('makes one repair attempt that shows the model its validation errors', async () => {
    const model = new ScriptedLanguageModel({
      steps: [
        { type: 'response', text: '{"intent":"order status","orderId":"42"}' },
        { type: 'response', text: '{"intent":"order_status","orderId":42}' },
      ],
    });
    const result = await generateObject({ model, schema, messages });
    expect(result.object).toEqual({ intent: 'order_status', orderId: 42 });
    expect(result.repaired).toBe(true);
    expect(result.response.attempts).toHaveLength(2);
    const repair = model.calls[1]?.request.messages ?? [];
    expect(repair).toHaveLength(3);
    expect(repair[1]).toEqual({ role: 'assistant', content: '{"intent":"order status","orderId":"42"}' });
    expect(repair[2]?.role).toBe('user');
    expect(repair[2]?.content).toMatch(/at intent: Invalid option/);
    expect(repair[2]?.content).toMatch(/at orderId: Invalid input: expected number/);
  });

  it('throws StructuredOutputError with the issues when the repaired reply is still invalid', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: '{"intent":"cancel"}' }] });
    const error = await generateObject({ model, schema, messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StructuredOutputError);
    const structured = error as StructuredOutputError;
    expect(model.calls).toHaveLength(2);
    expect(structured.issues.map((issue) => issue.path)).toEqual([['intent'], ['orderId']]);
    expect(structured.text).toBe('{"intent":"cancel"}');
    expect(structured.code).toBe('internal_error');
  });

  it('reports a reply that is not JSON as an issue and repairs it', async () => {
    const model = new ScriptedLanguageModel({
      steps: [
        { type: 'response', text: 'Sure! The intent is order_status.' },
        { type: 'response', text: '```json\n{"intent":"other","orderId":7}\n```' },
      ],
    });
    const result = await generateObject({ model, schema, messages });
    expect(result.object).toEqual({ intent: 'other', orderId: 7 });
    expect(model.calls[1]?.request.messages[2]?.content).toMatch(/not valid JSON/);
  });

  it('repairs with the model that answered, not the failed primary', async () => {
    const primary = new ScriptedLanguageModel({
      provider: 'primary',
      steps: [{ type: 'error', kind: 'invalid-request' }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [
        { type: 'response', text: '{}' },
        { type: 'response', text: '{"intent":"refund","orderId":9}' },
      ],
    });
    const result = await generateObject({ models: [primary, fallback], schema, messages });
    expect(result.object).toEqual({ intent: 'refund', orderId: 9 });
    expect(primary.calls).toHaveLength(1);
    expect(fallback.calls).toHaveLength(2);
    expect(result.response.attempts.map((record) => [record.provider, record.modelIndex])).toEqual([
      ['primary', 0],
      ['fallback', 1],
      ['fallback', 1],
    ]);
  });

  it('runs the hooks around both the first call and the repair', async () => {
    const seen: string[] = [];
    const model = new ScriptedLanguageModel({
      steps: [
        { type: 'response', text: '{}' },
        { type: 'response', text: '{"intent":"other","orderId":1}' },
      ],
    });
    await generateObject({
      model,
      schema,
      messages,
      hooks: {
        before: [
          (request, context) => {
            seen.push(`before:${context.operation}`);
            return request;
          },
        ],
        after: [
          (response, context) => {
            seen.push(`after:${context.operation}`);
            return response;
          },
        ],
      },
    });
    expect(seen).toEqual(['before:object', 'after:object', 'before:object', 'after:object']);
  });
});
