import { describe, expect, it } from 'vitest';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';

describe('mapAnthropicFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['tool_use', 'tool-calls'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['refusal', 'content-filter'],
    [null, 'other'],
  ] as const)('maps %s to %s', (wire, expected) => {
    expect(mapAnthropicFinishReason(wire)).toBe(expected);
  });

  it('treats the forced tool of a structured reply as a finished answer', () => {
    expect(mapAnthropicFinishReason('tool_use', { structured: true })).toBe('stop');
  });
});
