import { describe, expect, it } from 'vitest';
import { AnthropicLanguageModel } from './anthropic/index.ts';
import { ModelConfigError } from './errors.ts';
import { OfflineEmbeddingModel, OfflineLanguageModel } from './offline/index.ts';
import { OpenAIEmbeddingModel, OpenAILanguageModel } from './openai/index.ts';
import { createModelRegistry } from './registry.ts';

describe('createModelRegistry', () => {
  const registry = createModelRegistry({ apiKeys: { openai: 'sk-test', anthropic: 'sk-ant-test' } });

  it('builds each provider from configuration', () => {
    const openai = registry.languageModel({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(openai).toBeInstanceOf(OpenAILanguageModel);
    expect([openai.provider, openai.modelId]).toEqual(['openai', 'gpt-4o-mini']);
    const anthropic = registry.languageModel({ provider: 'anthropic', model: 'claude-sonnet-4-6' });
    expect(anthropic).toBeInstanceOf(AnthropicLanguageModel);
    const local = registry.languageModel({
      provider: 'openai-compatible',
      name: 'ollama',
      model: 'llama3.1:8b',
      baseUrl: 'http://localhost:11434/v1',
    });
    expect(local).toBeInstanceOf(OpenAILanguageModel);
    expect(local.provider).toBe('ollama');
    const offline = registry.languageModel({ provider: 'offline' });
    expect(offline).toBeInstanceOf(OfflineLanguageModel);
    expect(offline.modelId).toBe('offline');
  });

  it('builds a fallback chain in order', () => {
    const chain = registry.languageModels([{ provider: 'openai', model: 'gpt-4o' }, { provider: 'offline' }]);
    expect(chain.map((model) => model.provider)).toEqual(['openai', 'offline']);
  });

  it('rejects an unknown provider with a typed error naming the choices', () => {
    const error = (() => {
      try {
        registry.languageModel({ provider: 'gemini', model: 'x' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ModelConfigError);
    expect((error as ModelConfigError).message).toBe(
      'Unknown model provider "gemini"; expected one of openai, anthropic, openai-compatible, offline',
    );
    expect((error as ModelConfigError).code).toBe('validation_failed');
    expect(() => registry.languageModel('openai')).toThrow(ModelConfigError);
  });

  it('rejects a hosted provider without a key', () => {
    const keyless = createModelRegistry();
    expect(() => keyless.languageModel({ provider: 'anthropic', model: 'claude-sonnet-4-6' })).toThrow(
      /anthropic provider needs an API key/,
    );
    expect(() =>
      keyless.languageModel({ provider: 'openai', model: 'gpt-4o', apiKey: 'sk-own' }),
    ).not.toThrow();
  });

  it('rejects invalid fields with the issues', () => {
    expect(() => registry.languageModel({ provider: 'openai-compatible', model: 'llama3' })).toThrow(
      /Invalid openai-compatible model configuration/,
    );
    expect(() => registry.languageModel({ provider: 'openai', model: '' })).toThrow(ModelConfigError);
    expect(() => registry.languageModel({ provider: 'openai', model: 'x', baseUrl: 'not a url' })).toThrow(
      ModelConfigError,
    );
  });

  it('builds embedding models and refuses providers without them', () => {
    expect(registry.embeddingModel({ provider: 'offline' })).toBeInstanceOf(OfflineEmbeddingModel);
    const openai = registry.embeddingModel({ provider: 'openai', model: 'text-embedding-3-small' });
    expect(openai).toBeInstanceOf(OpenAIEmbeddingModel);
    expect(openai.dimensions).toBe(1536);
    expect(() => registry.embeddingModel({ provider: 'anthropic', model: 'x' })).toThrow(
      /Unknown embedding model provider/,
    );
    expect(() => registry.embeddingModel({ provider: 'openai', model: 'my-own-embedder' })).toThrow(
      /dimensions/,
    );
  });
});
