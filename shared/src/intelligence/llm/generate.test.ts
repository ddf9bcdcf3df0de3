import { describe, expect, it } from 'vitest';
import { ModelCallError } from './errors.ts';
import { generateText } from './generate.ts';
import type { ModelCallContext } from './hooks.ts';
import type { LanguageModelRequest } from './language-model.ts';
import type { ModelCallRecord } from './model-call.ts';
import { ScriptedLanguageModel } from './scripted-language-model.ts';

const messages = [{ role: 'user' as const, content: 'Where is order 42?' }];

function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

describe('generateText: retries', () => {
  it('retries a retryable failure with exponential backoff and jitter, then succeeds', async () => {
    const model = new ScriptedLanguageModel({
      steps: [
        { type: 'error', kind: 'server' },
        { type: 'error', kind: 'rate-limit' },
        { type: 'response', text: 'ok' },
      ],
    });
    const { delays, sleep } = recordingSleep();
    const result = await generateText({ model, messages, sleep, random: () => 0.5 });
    expect(result.text).toBe('ok');
    expect(model.calls).toHaveLength(3);
    // random 0.5 → no jitter: 500 ms, then 1000 ms.
    expect(delays).toEqual([500, 1000]);
    expect(result.attempts.map((record) => [record.attempt, record.outcome, record.errorKind])).toEqual([
      [1, 'error', 'server'],
      [2, 'error', 'rate-limit'],
      [3, 'success', undefined],
    ]);
  });

  it('waits at least the retry-after the vendor asked for', async () => {
    const model = new ScriptedLanguageModel({
      steps: [
        { type: 'error', kind: 'rate-limit', retryAfterMs: 2500 },
        { type: 'response', text: 'ok' },
      ],
    });
    const { delays, sleep } = recordingSleep();
    await generateText({ model, messages, sleep, random: () => 0 });
    expect(delays).toEqual([2500]);
  });

  it('applies jitter within the configured ratio', async () => {
    const model = new ScriptedLanguageModel({
      steps: [{ type: 'error', kind: 'server' }, { type: 'response' }],
    });
    const low = recordingSleep();
    await generateText({ model, messages, sleep: low.sleep, random: () => 0 });
    const high = recordingSleep();
    await generateText({
      model: new ScriptedLanguageModel({ steps: [{ type: 'error', kind: 'server' }, { type: 'response' }] }),
      messages,
      sleep: high.sleep,
      random: () => 1,
    });
    expect(low.delays).toEqual([375]);
    expect(high.delays).toEqual([625]);
  });

  it('does not retry a non-retryable failure and throws it when there is no fallback', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'error', kind: 'invalid-request' }] });
    const { delays, sleep } = recordingSleep();
    const error = await generateText({ model, messages, sleep }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelCallError);
    expect((error as ModelCallError).kind).toBe('invalid-request');
    expect(model.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('stops after maxAttempts and throws the last error', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'error', kind: 'overloaded' }] });
    const { delays, sleep } = recordingSleep();
    const error = await generateText({ model, messages, sleep, retry: { maxAttempts: 4 } }).catch(
      (caught) => caught,
    );
    expect((error as ModelCallError).kind).toBe('overloaded');
    expect(model.calls).toHaveLength(4);
    expect(delays).toHaveLength(3);
  });
});

describe('generateText: fallback chain', () => {
  it('moves to the next model on a non-retryable failure without waiting', async () => {
    const primary = new ScriptedLanguageModel({
      provider: 'primary',
      steps: [{ type: 'error', kind: 'authentication' }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'from fallback' }],
    });
    const { delays, sleep } = recordingSleep();
    const result = await generateText({ models: [primary, fallback], messages, sleep });
    expect(result.text).toBe('from fallback');
    expect(result.provider).toBe('fallback');
    expect(delays).toEqual([]);
    expect(result.attempts.map((record) => [record.provider, record.modelIndex, record.outcome])).toEqual([
      ['primary', 0, 'error'],
      ['fallback', 1, 'success'],
    ]);
  });

  it('moves to the next model once retries are exhausted', async () => {
    const primary = new ScriptedLanguageModel({
      provider: 'primary',
      steps: [{ type: 'error', kind: 'server' }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'ok' }],
    });
    const { sleep } = recordingSleep();
    const result = await generateText({
      models: [primary, fallback],
      messages,
      sleep,
      retry: { maxAttempts: 2 },
    });
    expect(primary.calls).toHaveLength(2);
    expect(result.provider).toBe('fallback');
  });

  it('falls back instead of waiting when retry-after exceeds the cap', async () => {
    const primary = new ScriptedLanguageModel({
      steps: [{ type: 'error', kind: 'rate-limit', retryAfterMs: 120_000 }],
    });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'ok' }],
    });
    const { delays, sleep } = recordingSleep();
    const result = await generateText({ models: [primary, fallback], messages, sleep });
    expect(primary.calls).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(result.provider).toBe('fallback');
  });

  it('throws the last model error when the whole chain fails', async () => {
    const first = new ScriptedLanguageModel({
      provider: 'first',
      steps: [{ type: 'error', kind: 'not-found' }],
    });
    const second = new ScriptedLanguageModel({
      provider: 'second',
      steps: [{ type: 'error', kind: 'permission' }],
    });
    const error = await generateText({ models: [first, second], messages }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'permission', provider: 'second' });
  });
});

describe('generateText: timeout and abort', () => {
  it('times an attempt out, retries it, then falls back', async () => {
    const slow = new ScriptedLanguageModel({ provider: 'slow', steps: [{ type: 'hang' }] });
    const fallback = new ScriptedLanguageModel({
      provider: 'fallback',
      steps: [{ type: 'response', text: 'ok' }],
    });
    const { delays, sleep } = recordingSleep();
    const result = await generateText({
      models: [slow, fallback],
      messages,
      timeoutMs: 20,
      sleep,
      retry: { maxAttempts: 2 },
    });
    expect(result.provider).toBe('fallback');
    expect(result.attempts.slice(0, 2).map((record) => record.errorKind)).toEqual(['timeout', 'timeout']);
    expect(delays).toHaveLength(1);
  });

  it('stops the whole chain when the caller aborts', async () => {
    const controller = new AbortController();
    const slow = new ScriptedLanguageModel({ steps: [{ type: 'hang' }] });
    const fallback = new ScriptedLanguageModel({ provider: 'fallback', steps: [{ type: 'response' }] });
    const pending = generateText({ models: [slow, fallback], messages, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(fallback.calls).toHaveLength(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response' }] });
    const error = await generateText({ model, messages, signal: AbortSignal.abort() }).catch(
      (caught) => caught,
    );
    expect(error).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('passes the attempt signal to the model', async () => {
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response' }] });
    await generateText({ model, messages, timeoutMs: 1000 });
    expect(model.calls[0]?.options.signal).toBeInstanceOf(AbortSignal);
    expect(model.calls[0]?.options.timeoutMs).toBe(1000);
  });
});

describe('generateText: hooks and usage records', () => {
  it('runs before-steps in order on the request and after-steps in order on the response', async () => {
    const order: string[] = [];
    const model = new ScriptedLanguageModel({ steps: [{ type: 'response', text: 'Call me at 555-0100' }] });
    const result = await generateText({
      model,
      messages: [{ role: 'user', content: 'my email is ada@example.com' }],
      hooks: {
        before: [
          (request) => {
            order.push('before-1');
            return {
              ...request,
              messages: request.messages.map((message) => ({
                ...message,
                content: message.content.replace(/\S+@\S+/, '[email]'),
              })) as LanguageModelRequest['messages'],
            };
          },
          (request) => {
            order.push('before-2');
            return { ...request, system: 'redacted' };
          },
        ],
        after: [
          (response) => {
            order.push('after-1');
            return { ...response, text: response.text.replace(/\d{3}-\d{4}/, '[phone]') };
          },
          (response) => {
            order.push('after-2');
            return { ...response, text: `${response.text}!` };
          },
        ],
      },
    });
    expect(order).toEqual(['before-1', 'before-2', 'after-1', 'after-2']);
    expect(model.calls[0]?.request.messages[0]?.content).toBe('my email is [email]');
    expect(model.calls[0]?.request.system).toBe('redacted');
    expect(result.text).toBe('Call me at [phone]!');
  });

  it('runs before-steps once per model of the chain, with that model in the context', async () => {
    const contexts: ModelCallContext[] = [];
    const primary = new ScriptedLanguageModel({
      provider: 'hosted',
      steps: [{ type: 'error', kind: 'server' }],
    });
    const fallback = new ScriptedLanguageModel({ provider: 'on-prem', steps: [{ type: 'response' }] });
    await generateText({
      models: [primary, fallback],
      messages,
      metadata: { tenantId: 'ten_1', agentId: 'agt_1', conversationId: 'cnv_1' },
      retry: { maxAttempts: 2 },
      sleep: async () => undefined,
      hooks: {
        before: [
          (request, context) => {
            contexts.push(context);
            return request;
          },
        ],
      },
    });
    expect(contexts.map((context) => [context.provider, context.modelIndex, context.operation])).toEqual([
      ['hosted', 0, 'generate'],
      ['on-prem', 1, 'generate'],
    ]);
    expect(contexts[0]?.metadata).toEqual({ tenantId: 'ten_1', agentId: 'agt_1', conversationId: 'cnv_1' });
  });

  it('lets a before-step block the call: no model call, no fallback, the step error reaches the caller', async () => {
    const blocked = new Error('blocked by guardrail');
    const primary = new ScriptedLanguageModel({ steps: [{ type: 'response' }] });
    const fallback = new ScriptedLanguageModel({ steps: [{ type: 'response' }] });
    const error = await generateText({
      models: [primary, fallback],
      messages,
      hooks: {
        before: [
          () => {
            throw blocked;
          },
        ],
      },
    }).catch((caught) => caught);
    expect(error).toBe(blocked);
    expect(primary.calls).toHaveLength(0);
    expect(fallback.calls).toHaveLength(0);
  });

  it('records the spent tokens even when an after-step blocks the answer', async () => {
    const records: ModelCallRecord[] = [];
    const model = new ScriptedLanguageModel({
      steps: [{ type: 'response', usage: { inputTokens: 7, outputTokens: 3 } }],
    });
    const error = await generateText({
      model,
      messages,
      onModelCall: (record) => void records.push(record),
      hooks: {
        after: [
          () => {
            throw new Error('output guardrail');
          },
        ],
      },
    }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe('output guardrail');
    expect(records).toMatchObject([{ outcome: 'success', inputTokens: 7, outputTokens: 3 }]);
  });

  it('reports every attempt to onModelCall with metadata, and survives a throwing listener', async () => {
    const records: ModelCallRecord[] = [];
    const model = new ScriptedLanguageModel({
      provider: 'p',
      modelId: 'm',
      steps: [
        { type: 'error', kind: 'server' },
        { type: 'response', usage: { inputTokens: 12, outputTokens: 4 } },
      ],
    });
    await generateText({
      model,
      messages,
      metadata: { tenantId: 'ten_1' },
      sleep: async () => undefined,
      onModelCall: (record) => {
        records.push(record);
        throw new Error('sink down');
      },
    });
    expect(records).toMatchObject([
      {
        operation: 'generate',
        provider: 'p',
        modelId: 'm',
        attempt: 1,
        outcome: 'error',
        errorKind: 'server',
      },
      {
        operation: 'generate',
        attempt: 2,
        outcome: 'success',
        inputTokens: 12,
        outputTokens: 4,
        finishReason: 'stop',
        metadata: { tenantId: 'ten_1' },
      },
    ]);
    expect(records[1]?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses a call without a model', async () => {
    expect(() => generateText({ models: [], messages })).toThrow(/needs a model/);
  });
});
