import { describe, expect, it } from 'vitest';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';

describe('mapOpenAIFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content-filter'],
    ['tool_calls', 'tool-calls'],
    ['function_call', 'tool-calls'],
    [null, 'other'],
    ['something_new', 'other'],
  ] as const)('maps %s to %s', (wire, expected) => {
    expect(mapOpenAIFinishReason(wire)).toBe(expected);
  });
});
