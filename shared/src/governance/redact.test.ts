import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.ts';

describe('redactSecrets', () => {
  it('replaces secret-looking fields at any depth', () => {
    const input = {
      email: 'a@b.c',
      passwordHash: 'scrypt$15$…',
      password: 'hunter2',
      nested: { clientSecret: 's', refreshToken: 't', apiKey: 'k', api_key: 'k2', privateKey: 'p' },
      list: [{ tokenHash: 'h', name: 'x' }],
      Authorization: 'Bearer x',
      credential: 'c',
    };
    expect(redactSecrets(input)).toEqual({
      email: 'a@b.c',
      passwordHash: '[redacted]',
      password: '[redacted]',
      nested: {
        clientSecret: '[redacted]',
        refreshToken: '[redacted]',
        apiKey: '[redacted]',
        api_key: '[redacted]',
        privateKey: '[redacted]',
      },
      list: [{ tokenHash: '[redacted]', name: 'x' }],
      Authorization: '[redacted]',
      credential: '[redacted]',
    });
  });

  it('keeps ordinary fields, nulls and non-secret lookalikes', () => {
    const input = { name: 'Agent', passwordHash: null, tokenCount: 3, secretary: 'Ann', lastFour: 'abcd' };
    expect(redactSecrets(input)).toEqual(input);
  });

  it('does not mutate its input, drops undefined and serializes dates', () => {
    const at = new Date('2025-05-05T00:00:00.000Z');
    const input = { secret: 'x', at, gone: undefined };
    const output = redactSecrets(input);
    expect(output).toEqual({ secret: '[redacted]', at: '2025-05-05T00:00:00.000Z' });
    expect(input.secret).toBe('x');
  });

  it('passes primitives through', () => {
    expect(redactSecrets('text')).toBe('text');
    expect(redactSecrets(5)).toBe(5);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets([1, 'a'])).toEqual([1, 'a']);
  });
});
