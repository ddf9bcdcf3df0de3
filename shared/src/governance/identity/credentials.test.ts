import { describe, expect, it } from 'vitest';
import { newId } from '../../core/index.ts';
import { hashCredential, looksLikeApiKey, mintCredential, parseCredential } from './credentials.ts';

const tenantId = newId('tenant');

describe('credentials', () => {
  it('mints API keys that parse back to their tenant and id', () => {
    const id = newId('apiKey');
    const key = mintCredential('apiKey', tenantId, id);
    expect(key).toMatch(/^lmk_ten_[0-9A-Z]{26}_key_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    expect(parseCredential('apiKey', key)).toEqual({ tenantId, id });
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('mints refresh tokens that parse back, and never as the other kind', () => {
    const id = newId('refreshToken');
    const token = mintCredential('refreshToken', tenantId, id);
    expect(token.startsWith(`lmr_${tenantId}_${id}_`)).toBe(true);
    expect(parseCredential('refreshToken', token)).toEqual({ tenantId, id });
    expect(parseCredential('apiKey', token)).toBeUndefined();
    expect(looksLikeApiKey(token)).toBe(false);
  });

  it('gives every credential a distinct secret', () => {
    const id = newId('apiKey');
    const minted = new Set(Array.from({ length: 50 }, () => mintCredential('apiKey', tenantId, id)));
    expect(minted.size).toBe(50);
  });

  it('rejects anything malformed', () => {
    const key = mintCredential('apiKey', tenantId, newId('apiKey'));
    const malformed = [
      '',
      'lmk_',
      `${key}x`,
      key.slice(0, -1),
      key.replace('lmk_', 'LMK_'),
      key.replace('_key_', '_rtk_'),
      `${key.slice(0, -43)}${'!'.repeat(43)}`,
      ` ${key}`,
      `${key}\n`,
      mintCredential('apiKey', 'ten_short', newId('apiKey')),
    ];
    for (const value of malformed)
      expect(parseCredential('apiKey', value), JSON.stringify(value)).toBeUndefined();
  });

  it('stores only a SHA-256 hex of the whole credential', async () => {
    const key = mintCredential('apiKey', tenantId, newId('apiKey'));
    const hash = await hashCredential(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashCredential(key)).toBe(hash);
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(await hashCredential(tampered)).not.toBe(hash);
  });
});
