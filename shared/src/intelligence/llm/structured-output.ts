import type { z } from 'zod';
import type { StructuredOutputIssue } from './errors.ts';
import type { ModelMessage } from './language-model.ts';

/** The outcome of checking a structured reply against its schema. */
export type StructuredValidation<T> =
  | { readonly success: true; readonly value: T }
  | { readonly success: false; readonly issues: readonly StructuredOutputIssue[] };

/** Models without native structured outputs sometimes fence their JSON; take what is inside. */
function unfence(text: string): string {
  const fenced = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?```\s*$/i.exec(text);
  return (fenced?.[1] ?? text).trim();
}

/** Parses a reply as JSON and validates it with the zod schema. */
export function validateStructuredReply<T>(text: string, schema: z.ZodType<T>): StructuredValidation<T> {
  let value: unknown;
  try {
    value = JSON.parse(unfence(text));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { success: false, issues: [{ path: [], message: `The reply is not valid JSON: ${reason}` }] };
  }
  const result = schema.safeParse(value);
  if (result.success) return { success: true, value: result.data };
  return {
    success: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.filter((key): key is string | number => typeof key !== 'symbol'),
      message: issue.message,
    })),
  };
}

/**
 * The two turns that ask for a repair: the model's invalid reply, then the validation errors and
 * the request to answer again.
 */
export function repairMessages(
  invalidReply: string,
  issues: readonly StructuredOutputIssue[],
): ModelMessage[] {
  const problems = issues
    .map((issue) => `- ${issue.path.length > 0 ? `at ${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('\n');
  return [
    { role: 'assistant', content: invalidReply },
    {
      role: 'user',
      content:
        `Your previous reply did not match the required JSON schema:\n${problems}\n` +
        'Reply again with only the corrected JSON object.',
    },
  ];
}
