import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRegistry } from '../../../shared/src/index.ts';
import { OPENAI_KEY, type ProviderFixture, startProviders } from './order-conversation.ts';

const captured = JSON.parse(
  readFileSync(
    new URL('../../support/llm-servers/__fixtures__/openai/embeddings.json', import.meta.url),
    'utf8',
  ),
) as { data: { embedding: number[] }[] };

let fixture: ProviderFixture;
beforeAll(async () => {
  fixture = await startProviders();
});
afterAll(async () => {
  await fixture.close();
});

describe('embedding models', () => {
  it('openai: asks for shortened float vectors and returns them in input order', async () => {
    const model = createModelRegistry({ apiKeys: { openai: OPENAI_KEY } }).embeddingModel({
      provider: 'openai',
      model: 'text-embedding-3-small',
      dimensions: 8,
      baseUrl: `${fixture.openaiServer.baseUrl}/v1`,
    });
    const start = fixture.openaiServer.requests.length;
    const result = await model.embed(['Where is order 42?', 'How do refunds work?']);
    expect(result.embeddings).toEqual(captured.data.map((item) => item.embedding));
    expect(result.usage.inputTokens).toBe(13);
    expect(fixture.openaiServer.requests[start]?.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['Where is order 42?', 'How do refunds work?'],
      encoding_format: 'float',
      dimensions: 8,
    });
  });

  it('openai-compatible: a configured width is checked, not sent', async () => {
    const model = createModelRegistry().embeddingModel({
      provider: 'openai-compatible',
      model: 'nomic-embed-text',
      dimensions: 8,
      baseUrl: `${fixture.compatibleServer.baseUrl}/v1`,
    });
    const start = fixture.compatibleServer.requests.length;
    const result = await model.embed(['a', 'b']);
    expect(result.embeddings).toHaveLength(2);
    expect(fixture.compatibleServer.requests[start]?.body).not.toHaveProperty('dimensions');
    const wrongWidth = createModelRegistry().embeddingModel({
      provider: 'openai-compatible',
      model: 'nomic-embed-text',
      dimensions: 768,
      baseUrl: `${fixture.compatibleServer.baseUrl}/v1`,
    });
    await expect(wrongWidth.embed(['a', 'b'])).rejects.toMatchObject({ kind: 'invalid-response' });
  });
});
