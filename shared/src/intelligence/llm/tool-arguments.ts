import { ModelCallError } from './errors.ts';

/**
 * Parses the JSON text of a tool call's arguments into an object. An empty text is `{}` (models
 * send it for tools without parameters); anything else that is not a JSON object is an
 * invalid response.
 */
export function parseToolArguments(
  text: string,
  model: { readonly provider: string; readonly modelId: string },
  toolName: string,
): Readonly<Record<string, unknown>> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelCallError({
      kind: 'invalid-response',
      message: `${model.provider}: the arguments of tool call ${toolName} are not valid JSON`,
      provider: model.provider,
      modelId: model.modelId,
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelCallError({
      kind: 'invalid-response',
      message: `${model.provider}: the arguments of tool call ${toolName} are not a JSON object`,
      provider: model.provider,
      modelId: model.modelId,
    });
  }
  return value as Record<string, unknown>;
}
