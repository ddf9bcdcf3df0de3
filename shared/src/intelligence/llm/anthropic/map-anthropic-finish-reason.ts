import type { FinishReason } from '../language-model.ts';

/**
 * Maps the Messages API's `stop_reason` to the port's finish reason. With a JSON response format
 * the forced tool call *is* the answer, so `tool_use` means a finished reply.
 */
export function mapAnthropicFinishReason(
  stopReason: string | null | undefined,
  options: { readonly structured: boolean } = { structured: false },
): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'tool_use':
      return options.structured ? 'stop' : 'tool-calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}
