import type { z } from 'zod';

/** Thrown when a deployable's environment does not match its schema; the message names each variable. */
export class ConfigError extends Error {
  readonly issues: readonly { variable: string; expected: string }[];

  constructor(issues: readonly { variable: string; expected: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  - ${issue.variable}: ${issue.expected}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses an environment record against a deployable's zod schema, once, at start-up.
 * Empty strings count as unset so that `FOO=` in a shell behaves like a missing variable.
 *
 * @example
 * const config = parseConfig(workersConfigSchema, process.env);
 */
export function parseConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.output<Schema> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.join('.') || '(environment)',
      expected: issue.message,
    })),
  );
}
