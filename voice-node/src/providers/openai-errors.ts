import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { VoiceProviderError, voiceErrorCodeForStatus } from './ports.ts';

/**
 * Turns what the OpenAI SDK throws into a {@link VoiceProviderError}, so the speech adapters report
 * refused keys, timeouts, outages and failed requests with the port's codes and an operator-readable
 * message (the SDK's message already carries the status and OpenAI's own explanation).
 */
export function openAIVoiceError(error: unknown, operation: string): VoiceProviderError {
  if (error instanceof VoiceProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new VoiceProviderError('provider_timeout', 'openai', `OpenAI ${operation} timed out`, {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new VoiceProviderError(
      'provider_unavailable',
      'openai',
      `OpenAI could not be reached for ${operation}: ${error.message}`,
      { cause: error },
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const code = voiceErrorCodeForStatus(error.status);
    const prefix = code === 'provider_auth' ? 'OpenAI refused the API key' : `OpenAI ${operation} failed`;
    return new VoiceProviderError(code, 'openai', `${prefix}: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new VoiceProviderError('provider_failed', 'openai', `OpenAI ${operation} failed: ${message}`, {
    cause: error,
  });
}
