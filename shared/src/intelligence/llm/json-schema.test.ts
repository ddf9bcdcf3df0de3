import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isStrictJsonSchema, toProviderJsonSchema } from './json-schema.ts';

describe('provider JSON schemas', () => {
  it('drops the $schema marker', () => {
    const schema = toProviderJsonSchema(z.object({ a: z.string() }));
    expect(schema).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    });
  });

  it('knows which schemas strict structured outputs accept', () => {
    expect(
      isStrictJsonSchema(toProviderJsonSchema(z.object({ a: z.object({ b: z.array(z.number()) }) }))),
    ).toBe(true);
    expect(isStrictJsonSchema(toProviderJsonSchema(z.object({ a: z.string().optional() })))).toBe(false);
    expect(
      isStrictJsonSchema(toProviderJsonSchema(z.object({ a: z.object({ b: z.string() }).loose() }))),
    ).toBe(false);
    expect(
      isStrictJsonSchema(
        toProviderJsonSchema(z.object({ list: z.array(z.object({ c: z.string().optional() })) })),
      ),
    ).toBe(false);
  });
});
