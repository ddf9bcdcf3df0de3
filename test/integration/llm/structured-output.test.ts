import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObject, StructuredOutputError } from '../../../shared/src/index.ts';
import { ORDER_INTENT, type ProviderFixture, startProviders, USER_MESSAGE } from './order-conversation.ts';

let fixture: ProviderFixture;
beforeAll(async () => {
  fixture = await startProviders();
});
afterAll(async () => {
  await fixture.close();
});

const cases = [
  { provider: 'openai', invalid: 'chat-structured-invalid.json' },
  { provider: 'anthropic', invalid: 'message-structured-invalid.json' },
] as const;

describe.each(cases)('structured output repair on $provider', ({ provider, invalid }) => {
  const server = () => (provider === 'openai' ? fixture.openaiServer : fixture.anthropicServer);

  it('repairs a schema-invalid reply once, showing the model the issues', async () => {
    const start = server().requests.length;
    server().script({ fixture: invalid });
    const result = await generateObject({
      model: fixture.models[provider],
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
    });
    expect(result.object).toEqual({ intent: 'order_status', orderId: 42 });
    expect(result.repaired).toBe(true);
    const [, repair] = server().requests.slice(start);
    const sent = JSON.stringify(repair?.body);
    expect(sent).toContain('did not match the required JSON schema');
    expect(sent).toContain('at intent');
    expect(sent).toContain('at orderId');
  });

  it('throws StructuredOutputError when the repaired reply is still invalid', async () => {
    const start = server().requests.length;
    server().script({ fixture: invalid }, { fixture: invalid });
    const error = await generateObject({
      model: fixture.models[provider],
      schema: ORDER_INTENT,
      schemaName: 'order_intent',
      messages: [USER_MESSAGE],
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).issues.map((issue) => issue.path)).toEqual([
      ['intent'],
      ['orderId'],
    ]);
    expect((error as StructuredOutputError).provider).toBe(provider);
    expect(server().requests.length - start).toBe(2);
  });
});
