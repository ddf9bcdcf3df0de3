import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateText,
  type ModelCallError,
  type ModelCallRecord,
  type StreamPart,
  streamText,
} from '../../../shared/src/index.ts';
import { type ProviderFixture, SYSTEM, startProviders, USER_MESSAGE } from './order-conversation.ts';

let fixture: ProviderFixture;
beforeAll(async () => {
  fixture = await startProviders();
});
afterAll(async () => {
  await fixture.close();
});

function recorder() {
  const records: ModelCallRecord[] = [];
  const delays: number[] = [];
  return {
    records,
    delays,
    onModelCall: (record: ModelCallRecord) => void records.push(record),
    sleep: async (ms: number) => void delays.push(ms),
  };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const request = { system: SYSTEM, messages: [USER_MESSAGE] };

describe('retries', () => {
  it('openai: retries a 429, waiting the retry-after-ms the server asked for', async () => {
    const server = fixture.openaiServer;
    const start = server.requests.length;
    server.script({
      status: 429,
      fixture: 'error-429.json',
      headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
    });
    const { records, delays, onModelCall, sleep } = recorder();
    const result = await generateText({
      model: fixture.models.openai,
      ...request,
      onModelCall,
      sleep,
      random: () => 0.5,
    });
    expect(result.text).toBe('Order 42 has shipped with DHL and should arrive by 6 May 2026.');
    expect(server.requests.length - start).toBe(2);
    expect(delays).toEqual([1500]);
    expect(records.map((record) => [record.outcome, record.errorKind, record.attempt])).toEqual([
      ['error', 'rate-limit', 1],
      ['success', undefined, 2],
    ]);
    expect(records[1]).toMatchObject({ provider: 'openai', inputTokens: 161, outputTokens: 19 });
  });

  it('anthropic: retries a 429 (retry-after seconds) and a 529 overloaded', async () => {
    const server = fixture.anthropicServer;
    const start = server.requests.length;
    server.script(
      { status: 429, fixture: 'error-429.json', headers: { 'retry-after': '3' } },
      { status: 529, fixture: 'error-529.json' },
    );
    const { records, delays, onModelCall, sleep } = recorder();
    const result = await generateText({
      model: fixture.models.anthropic,
      ...request,
      onModelCall,
      sleep,
      random: () => 0.5,
    });
    expect(result.finishReason).toBe('stop');
    expect(server.requests.length - start).toBe(3);
    expect(delays).toEqual([3000, 1000]);
    expect(records.map((record) => record.errorKind)).toEqual(['rate-limit', 'overloaded', undefined]);
  });

  it('does not retry a malformed body: it is an invalid response', async () => {
    const server = fixture.openaiServer;
    const start = server.requests.length;
    server.script({ fixture: 'malformed.txt' });
    const { sleep } = recorder();
    const error = (await generateText({ model: fixture.models.openai, ...request, sleep }).catch(
      (caught: unknown) => caught,
    )) as ModelCallError;
    expect(error.kind).toBe('invalid-response');
    expect(error.retryable).toBe(false);
    expect(server.requests.length - start).toBe(1);
  });
});

describe('fallback chain', () => {
  it('falls back to the second model when the primary answers 500 every time', async () => {
    const anthropic = fixture.anthropicServer;
    const start = anthropic.requests.length;
    anthropic.script(...Array.from({ length: 3 }, () => ({ status: 500, fixture: 'error-500.json' })));
    const { records, delays, onModelCall, sleep } = recorder();
    const result = await generateText({
      models: [fixture.models.anthropic, fixture.models.openai],
      ...request,
      onModelCall,
      sleep,
      random: () => 0.5,
    });
    expect(result.provider).toBe('openai');
    expect(result.text).toMatch(/shipped with DHL/);
    expect(anthropic.requests.length - start).toBe(3);
    expect(delays).toEqual([500, 1000]);
    expect(records.map((record) => [record.provider, record.outcome, record.errorKind])).toEqual([
      ['anthropic', 'error', 'server'],
      ['anthropic', 'error', 'server'],
      ['anthropic', 'error', 'server'],
      ['openai', 'success', undefined],
    ]);
  });

  it('falls back at once on a bad key (not retryable), down to the offline model', async () => {
    const { sleep } = recorder();
    const server = fixture.openaiServer;
    const start = server.requests.length;
    const misconfigured = (await import('../../../shared/src/index.ts')).createModelRegistry().languageModel({
      provider: 'openai',
      model: 'gpt-4o-mini',
      apiKey: 'sk-wrong',
      baseUrl: `${server.baseUrl}/v1`,
    });
    const result = await generateText({
      models: [misconfigured, fixture.models.offline],
      ...request,
      tools: [],
      context: [{ id: 'kb-orders', text: 'You can check the status of an order on the Orders page.' }],
      sleep,
    });
    expect(server.requests.length - start).toBe(1);
    expect(result.provider).toBe('offline');
    expect(result.providerMetadata).toMatchObject({ offline: true, citations: ['kb-orders'] });
    expect(result.attempts[0]).toMatchObject({ provider: 'openai', errorKind: 'authentication' });
  });

  it('times out a slow response, then falls back', async () => {
    fixture.openaiServer.script({ delayMs: 1500 });
    const { records, onModelCall } = recorder();
    const started = Date.now();
    const result = await generateText({
      models: [fixture.models.openai, fixture.models.anthropic],
      ...request,
      timeoutMs: 150,
      retry: { maxAttempts: 1 },
      onModelCall,
    });
    expect(Date.now() - started).toBeLessThan(1200);
    expect(result.provider).toBe('anthropic');
    expect(records[0]).toMatchObject({ provider: 'openai', outcome: 'error', errorKind: 'timeout' });
  });
});

describe('streams', () => {
  it.each(['openai', 'anthropic'] as const)(
    '%s: aborting mid-stream stops cleanly and hangs up on the server',
    async (provider) => {
      const server = provider === 'openai' ? fixture.openaiServer : fixture.anthropicServer;
      const cancelledBefore = server.cancelledResponses();
      server.script({ stallAfterEvents: provider === 'openai' ? 4 : 4 });
      const controller = new AbortController();
      const { records, onModelCall } = recorder();
      const stream = streamText({
        model: fixture.models[provider],
        ...request,
        signal: controller.signal,
        onModelCall,
      });
      const parts: StreamPart[] = [];
      const error = (await (async () => {
        for await (const part of stream) {
          parts.push(part);
          if (parts.length === 1) setTimeout(() => controller.abort(), 20);
        }
      })().catch((caught: unknown) => caught)) as ModelCallError;
      expect(error.kind).toBe('aborted');
      expect(parts.length).toBeGreaterThan(0);
      expect(parts.some((part) => part.type === 'finish')).toBe(false);
      await expect(stream.response).rejects.toMatchObject({ kind: 'aborted' });
      expect(records).toMatchObject([{ outcome: 'aborted', provider: fixture.models[provider].provider }]);
      await until(() => server.cancelledResponses() > cancelledBefore);
    },
  );

  it('openai: a consumer that stops reading cancels the request', async () => {
    const server = fixture.openaiServer;
    const cancelledBefore = server.cancelledResponses();
    server.script({ eventDelayMs: 30 });
    const stream = streamText({ model: fixture.models.openai, ...request });
    for await (const part of stream) {
      if (part.type === 'text-delta') break;
    }
    await expect(stream.response).rejects.toMatchObject({ kind: 'aborted' });
    await until(() => server.cancelledResponses() > cancelledBefore);
  });

  it('anthropic: an error event after the first parts fails the stream with its type', async () => {
    fixture.anthropicServer.script({ fixture: 'stream-error-overloaded.sse' });
    const stream = streamText({ model: fixture.models.anthropic, ...request });
    const parts: StreamPart[] = [];
    const error = (await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((caught: unknown) => caught)) as ModelCallError;
    expect(parts).toEqual([{ type: 'text-delta', delta: 'Order 42' }]);
    expect(error).toMatchObject({ kind: 'overloaded', provider: 'anthropic' });
  });

  it('openai: a 429 before the first part is retried', async () => {
    fixture.openaiServer.script({
      status: 429,
      fixture: 'error-429.json',
      headers: { 'retry-after-ms': '10' },
    });
    const { delays, sleep } = recorder();
    const stream = streamText({ model: fixture.models.openai, ...request, sleep, random: () => 0 });
    const parts: StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    expect(delays).toEqual([375]);
    expect((await stream.response).text).toBe(
      'Order 42 has shipped with DHL and should arrive by 6 May 2026.',
    );
  });
});
