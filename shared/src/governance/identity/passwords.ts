import { scryptAsync } from '@noble/hashes/scrypt.js';
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url, utf8 } from '../../core/index.ts';

/** scrypt cost: N=2^15, r=8, p=3 is one of OWASP's equivalent minimum settings (32 MiB). */
export const SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 3, keyLength: 32 };

/** scrypt cost parameters; stored with every hash, so hashes made with other costs still verify. */
export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
}

/** Derives a scrypt key; Node injects its native implementation, the edge uses the portable one. */
export type ScryptFunction = (
  password: Uint8Array,
  salt: Uint8Array,
  params: { N: number; r: number; p: number; keyLength: number },
) => Promise<Uint8Array>;

/** The portable (pure TypeScript) scrypt, usable in Workers where node:crypto's scrypt is absent. */
export const portableScrypt: ScryptFunction = (password, salt, params) =>
  scryptAsync(password, salt, {
    N: params.N,
    r: params.r,
    p: params.p,
    dkLen: params.keyLength,
    maxmem: 2 ** 30,
  });

/** Hashes and verifies passwords; the stored form is `scrypt$logN$r$p$salt$hash` (base64url). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

/**
 * @param params the cost for new hashes (tests may lower it to save CPU; production keeps the default).
 */
export function createPasswordHasher(
  scrypt: ScryptFunction = portableScrypt,
  params: ScryptParams = SCRYPT_PARAMS,
): PasswordHasher {
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const { logN, r, p, keyLength } = params;
      const derived = await scrypt(utf8(password.normalize('NFKC')), salt, { N: 2 ** logN, r, p, keyLength });
      return `scrypt$${logN}$${r}$${p}$${toBase64Url(salt)}$${toBase64Url(derived)}`;
    },
    async verify(password, stored) {
      const parts = stored.split('$');
      if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
      const [logN, r, p] = parts.slice(1, 4).map(Number);
      const salt = fromBase64Url(parts[4] ?? '');
      const expected = parts[5] ?? '';
      if (!logN || !r || !p || logN > 20 || salt.length < 16) return false;
      const keyLength = fromBase64Url(expected).length;
      // A truncated hash must not verify: an empty key compares equal to an empty derivation.
      if (keyLength < 16) return false;
      const derived = await scrypt(utf8(password.normalize('NFKC')), salt, { N: 2 ** logN, r, p, keyLength });
      return timingSafeEqual(toBase64Url(derived), expected);
    },
  };
}
