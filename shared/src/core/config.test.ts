import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseConfig } from './config.ts';

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  NAME: z.string().min(3, 'must be at least 3 characters'),
  MODE: z.enum(['a', 'b']).optional(),
});

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted an invalid environment');
}

describe('parseConfig', () => {
  it('parses, coerces and applies defaults', () => {
    expect(parseConfig(schema, { PORT: '9000', NAME: 'lumay' })).toEqual({ PORT: 9000, NAME: 'lumay' });
    expect(parseConfig(schema, { NAME: 'lumay', MODE: 'b' })).toEqual({
      PORT: 8080,
      NAME: 'lumay',
      MODE: 'b',
    });
  });

  it('treats empty strings as unset, so defaults and optionals apply', () => {
    expect(parseConfig(schema, { PORT: '', NAME: 'lumay', MODE: '' })).toEqual({ PORT: 8080, NAME: 'lumay' });
  });

  it('ignores variables the schema does not know', () => {
    expect(parseConfig(schema, { NAME: 'lumay', PATH: '/usr/bin', HOME: undefined })).toEqual({
      PORT: 8080,
      NAME: 'lumay',
    });
  });

  it('names every invalid variable with what it expects', () => {
    const error = configErrorOf({ PORT: 'abc', NAME: 'x', MODE: 'c' });
    expect(error.name).toBe('ConfigError');
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(['MODE', 'NAME', 'PORT']);
    expect(error.issues.find((issue) => issue.variable === 'NAME')?.expected).toBe(
      'must be at least 3 characters',
    );
    expect(error.message).toContain('Invalid configuration');
    expect(error.message).toMatch(/^ {2}- PORT: /m);
    expect(error.message).toMatch(/^ {2}- NAME: must be at least 3 characters$/m);
  });

  it('reports a missing required variable and an out-of-range number', () => {
    const error = configErrorOf({ PORT: '70000' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(['NAME', 'PORT']);
  });

  it('does not echo the rejected values', () => {
    const error = configErrorOf({ NAME: 'pw' });
    expect(error.message).not.toContain('pw\n');
    expect(error.message).not.toMatch(/"pw"/);
  });

  it('labels a whole-environment failure when the issue has no path', () => {
    const refined = z
      .object({ A: z.string().optional() })
      .refine((env) => env.A !== 'no', 'A must not be no');
    try {
      parseConfig(refined, { A: 'no' });
      expect.unreachable('parseConfig accepted an invalid environment');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { variable: '(environment)', expected: 'A must not be no' },
      ]);
    }
  });
});
