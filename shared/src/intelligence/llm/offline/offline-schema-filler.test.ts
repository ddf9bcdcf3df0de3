import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toProviderJsonSchema } from '../json-schema.ts';
import { fillJsonSchema } from './offline-schema-filler.ts';

const fill = (schema: z.ZodType, texts: string[], strict = false) =>
  fillJsonSchema(toProviderJsonSchema(schema), { texts, strict });

describe('fillJsonSchema', () => {
  it('chooses enum values by the terms they share with the text', () => {
    const schema = z.object({ intent: z.enum(['order_status', 'refund', 'cancel_order', 'other']) });
    expect(fill(schema, ['I want my money back, refund please'])).toEqual({ intent: 'refund' });
    expect(fill(schema, ['where is my order, what is its status'])).toEqual({ intent: 'order_status' });
    expect(fill(schema, ['hello there'])).toEqual({ intent: 'other' });
  });

  it('uses the descriptions of literal options', () => {
    const schema = z.object({
      sentiment: z.union([
        z.literal('positive').describe('happy, thankful, satisfied'),
        z.literal('negative').describe('angry, annoyed, disappointed, frustrated'),
      ]),
    });
    expect(fill(schema, ['I am really annoyed and frustrated'])).toEqual({ sentiment: 'negative' });
  });

  it('takes the number next to a word of the field name, within bounds', () => {
    const schema = z.object({ quantity: z.number().int().max(10), orderId: z.number().int() });
    expect(fill(schema, ['Please send 3 more of item 700 on order 1234'])).toEqual({
      quantity: 3,
      orderId: 1234,
    });
  });

  it('finds formatted strings and leaves them out when absent', () => {
    const schema = z.object({ email: z.email(), note: z.string() });
    expect(fill(schema, ['Reach me at ada@example.com today'])).toEqual({
      email: 'ada@example.com',
      note: 'Reach me at ada@example.com today',
    });
    expect(fill(schema, ['no address here'])).toEqual({ note: 'no address here' });
    expect(fill(schema, ['no address here'], true)).toBeUndefined();
  });

  it('fills nullable, array and boolean fields', () => {
    const schema = z.object({
      orderId: z.number().nullable(),
      topics: z.array(z.enum(['billing', 'shipping', 'returns'])),
      urgent: z.boolean(),
    });
    expect(fill(schema, ['Urgent: a billing question about shipping'])).toEqual({
      orderId: null,
      topics: ['billing', 'shipping'],
      urgent: true,
    });
  });
});
