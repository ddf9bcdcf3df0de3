import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  openaiChatChunkSchema,
  openaiChatResponseSchema,
  openaiEmbeddingResponseSchema,
} from './openai-api.ts';

// The captured wire responses the integration servers replay.
const fixtures = new URL('../../../../../test/support/llm-servers/__fixtures__/openai/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');

function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .map((event) => event.replace(/^data: /, '').trim())
    .filter((data) => data !== '' && data !== '[DONE]')
    .map((data) => JSON.parse(data));
}

describe('openai wire schemas', () => {
  it.each([
    'chat-tool-call.json',
    'chat-final-answer.json',
    'chat-structured.json',
    'chat-structured-invalid.json',
  ])('accept the captured completion %s', (name) => {
    expect(openaiChatResponseSchema.safeParse(JSON.parse(read(name))).success).toBe(true);
  });

  it.each(['chat-tool-call.sse', 'chat-final-answer.sse', 'chat-structured.sse'])(
    'accept every chunk of the captured stream %s',
    (name) => {
      const chunks = sseData(read(name));
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks) expect(openaiChatChunkSchema.safeParse(chunk).success).toBe(true);
    },
  );

  it('reads the tool call of the captured completion', () => {
    const parsed = openaiChatResponseSchema.parse(JSON.parse(read('chat-tool-call.json')));
    expect(parsed.choices[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: 'orders_lookup',
      arguments: '{"orderId":42}',
    });
    expect(parsed.usage).toEqual({ prompt_tokens: 118, completion_tokens: 17 });
  });

  it('accept the captured embeddings and reject a completion without choices', () => {
    expect(openaiEmbeddingResponseSchema.parse(JSON.parse(read('embeddings.json'))).data).toHaveLength(2);
    expect(openaiChatResponseSchema.safeParse({ id: 'x', choices: [] }).success).toBe(false);
  });
});
