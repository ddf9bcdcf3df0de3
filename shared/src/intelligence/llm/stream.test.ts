import { describe, expect, it } from 'vitest';
import type { StreamPart } from './language-model.ts';
import type { ModelCallRecord } from './model-call.ts';
import { ScriptedLanguageModel } from './scripted-language-model.ts';
import { streamText } from './stream.ts';

const messages = [{ role: 'user' as const, content: 'Where is order 42?' }];
const noSleep = async () => undefined;

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('streamText', () => {
  it('streams the parts and aggregates them into the response', async () => {
    const model = new ScriptedLanguageModel({
      steps: [
        {
          type: 'response',
          text: 'Looking it up now.',
          toolCalls: [{ id: 'call_1', name: 'orders.lookup', arguments: { orderId: 42 } }],
          usage: { inputTokens: 20, outputTokens: 9 },
        },
      ],
    });
    const result = streamText({ model, messages });
    const parts = await collect(result);
    expect(parts.map((part) => part.type)).toEqual([
      'text-delta',
      'text-delta',
      'text-delta',
      'text-delta',
      'tool-call-delta',
      'tool-call',
      'finish',
    ]);
    const response = await result.response;
    expect(response.text).toBe('Looking it up now.');
    expect(response.toolCalls).toEqual([{ id: 'call_1', name: 'orders.lookup', arguments: { orderId: 42 } }]);
    expect(response.finishReason).toBe('tool-calls');
    expect(response.usage).toEqual({ inputTokens: 20, outputTokens: 9 });
    expect(response.attempts).toMatchObject([{ operation: 'stream', outcome: 'success', inputTokens: 20 }]);
  });

  it('retries and falls back until the first part arrives', async () => {
    const primary = new ScriptedLanguageModel({
      provider: 'primary',
      steps: [{ type: 'error', kind: 'server' }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'hi' }],
    });
    const result = streamText({
      models: [primary, fallback],
      messages,
      sleep: noSleep,
      retry: { maxAttempts: 2 },
    });
    await collect(result);
    expect(primary.calls).toHaveLength(2);
    expect((await result.response).provider).toBe('fallback');
  });

  it('does not retry once parts reached the caller', async () => {
    const model = new ScriptedLanguageModel({
      steps: [{ type: 'response', text: 'one two three', failAfterParts: 2 }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'x' }],
    });
    const result = streamText({ models: [model, fallback], messages, sleep: noSleep });
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of result) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(parts).toHaveLength(2);
    expect(error).toMatchObject({ kind: 'network' });
    expect(fallback.calls).toHaveLength(0);
    await expect(result.response).rejects.toMatchObject({ kind: 'network' });
  });

  it('runs the after-steps on the aggregated response before the finish part', async () => {
    const seen: string[] = [];
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'secret 555-0100' }] });
    const result = streamText({
      model,
      messages,
      hooks: {
        after: [
          (response) => {
            seen.push(response.text);
            return { ...response, text: 'secret [phone]' };
          },
        ],
      },
    });
    const parts = await collect(result);
    expect(seen).toEqual(['secret 555-0100']);
    expect(parts.at(-1)?.type).toBe('finish');
    expect((await result.response).text).toBe('secret [phone]');
  });

  it('throws instead of finishing when an after-step blocks', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'bad words' }] });
    const blocked = new Error('blocked');
    const result = streamText({
      model,
      messages,
      hooks: {
        after: [
          () => {
            throw blocked;
          },
        ],
      },
    });
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of result) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(error).toBe(blocked);
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    await expect(result.response).rejects.toBe(blocked);
  });

  it('cancels the model stream when the consumer stops reading', async () => {
    const records: ModelCallRecord[] = [];
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'a b c d e f' }] });
    const result = streamText({ model, messages, onModelCall: (record) => void records.push(record) });
    for await (const part of result) {
      if (part.type === 'text-delta') break;
    }
    expect(model.calls[0]?.options.signal?.aborted).toBe(true);
    expect(records).toMatchObject([{ outcome: 'aborted', errorKind: 'aborted' }]);
    await expect(result.response).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('stops with an aborted error when the caller aborts mid-stream', async () => {
    const controller = new AbortController();
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'a b c d e f' }] });
    const result = streamText({ model, messages, signal: controller.signal });
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of result) {
        parts.push(part);
        if (parts.length === 2) controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(parts).toHaveLength(2);
    expect(error).toMatchObject({ kind: 'aborted' });
  });

  it('times out a stream that stops producing parts', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'hang' }] });
    const result = streamText({ model, messages, timeoutMs: 20, retry: { maxAttempts: 1 } });
    await expect(collect(result)).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('can be iterated only once', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'x' }] });
    const result = streamText({ model, messages });
    await collect(result);
    expect(() => result[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});
