import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/index.ts';
import { createPasswordHasher, portableScrypt, SCRYPT_PARAMS, type ScryptFunction } from './passwords.ts';

const hasher = createPasswordHasher();

describe('createPasswordHasher (portable scrypt)', () => {
  it('stores scrypt$logN$r$p$salt$hash with the pinned cost and verifies it', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    const [scheme, logN, r, p, salt, hash] = stored.split('$');
    expect(scheme).toBe('scrypt');
    expect([Number(logN), Number(r), Number(p)]).toEqual([
      SCRYPT_PARAMS.logN,
      SCRYPT_PARAMS.r,
      SCRYPT_PARAMS.p,
    ]);
    expect(salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapl', stored)).toBe(false);
    expect(await hasher.verify('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const [first, second] = await Promise.all([hasher.hash('same'), hasher.hash('same')]);
    expect(first).not.toBe(second);
  });

  it('normalizes to NFKC, so composed and decomposed spellings match', async () => {
    const stored = await hasher.hash('caf\u00e9');
    expect(await hasher.verify('cafe\u0301', stored)).toBe(true);
  });

  it('verifies hashes with other (cheaper) parameters from the stored string', async () => {
    const salt = new Uint8Array(16).fill(7);
    const derived = await portableScrypt(new TextEncoder().encode('pw'), salt, {
      N: 2 ** 10,
      r: 8,
      p: 1,
      keyLength: 32,
    });
    const stored = `scrypt$10$8$1$${toBase64Url(salt)}$${toBase64Url(derived)}`;
    expect(await hasher.verify('pw', stored)).toBe(true);
    expect(await hasher.verify('pW', stored)).toBe(false);
  });

  it('refuses malformed or abusive stored strings without deriving anything', async () => {
    let calls = 0;
    const counting: ScryptFunction = async (...args) => {
      calls += 1;
      return portableScrypt(...args);
    };
    const guarded = createPasswordHasher(counting);
    const salt = toBase64Url(new Uint8Array(16));
    const malformed = [
      '',
      'plain-text-password',
      'bcrypt$10$8$1$x$y',
      `scrypt$15$8$3$${salt}`,
      `scrypt$0$8$3$${salt}$AAAA`,
      `scrypt$x$8$3$${salt}$AAAA`,
      `scrypt$25$8$3$${salt}$AAAA`, // a cost far above the cap would be a denial of service
      `scrypt$15$8$3$${toBase64Url(new Uint8Array(8))}$AAAA`, // short salt
      `scrypt$10$8$1$${salt}$`, // truncated: an empty hash must never match
      `scrypt$10$8$1$${salt}$AAAA`, // a 3-byte hash is no hash
    ];
    for (const stored of malformed) expect(await guarded.verify('pw', stored), stored).toBe(false);
    expect(calls).toBe(0);
  });
});
