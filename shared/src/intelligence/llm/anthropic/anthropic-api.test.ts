import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anthropicMessageSchema, anthropicStreamEventSchema } from './anthropic-api.ts';

const fixtures = new URL('../../../../../test/support/llm-servers/__fixtures__/anthropic/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');

function events(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.+)$/m.exec(block)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

describe('anthropic wire schemas', () => {
  it.each(['message-tool-use.json', 'message-final-answer.json', 'message-structured.json'])(
    'accept the captured message %s',
    (name) => {
      expect(anthropicMessageSchema.safeParse(JSON.parse(read(name))).success).toBe(true);
    },
  );

  it.each(['message-tool-use.sse', 'message-final-answer.sse', 'message-structured.sse'])(
    'accept every event of the captured stream %s (the SDK drops pings)',
    (name) => {
      const stream = events(read(name)).filter((event) => event.event !== 'ping');
      expect(stream[0]?.event).toBe('message_start');
      expect(stream.at(-1)?.event).toBe('message_stop');
      for (const { event, data } of stream) {
        expect(anthropicStreamEventSchema.safeParse(data).success, event).toBe(true);
      }
    },
  );

  it('reads text and tool_use blocks of the captured message', () => {
    const message = anthropicMessageSchema.parse(JSON.parse(read('message-tool-use.json')));
    expect(message.content).toEqual([
      { type: 'text', text: "I'll look up order 42 for you." },
      {
        type: 'tool_use',
        id: 'toolu_01Tq8WmZ3rXk5NvB7pY2hJ4c',
        name: 'orders_lookup',
        input: { orderId: 42 },
      },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });
});
