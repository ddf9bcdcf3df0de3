import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../core/index.ts';
import { openSecret, rewrapSealedKey, type SealedSecret, sealSecret } from './envelope.ts';
import {
  createSecretKeyring,
  generateSecretKeysSpec,
  parseSecretKeys,
  SecretIntegrityError,
  SecretKeyUnavailableError,
} from './keyring.ts';

const binding = { tenantId: 'ten_A', secretId: 'sec_1' };
const VALUE = 'sk-live-0123456789abcdefXYZ';

/** Flips one bit of a base64url field. */
function flip(value: string, byte = 0): string {
  const bytes = fromBase64Url(value);
  bytes[byte] = (bytes[byte] ?? 0) ^ 1;
  return toBase64Url(bytes);
}

describe('secret keyring', () => {
  it('parses versions and 32-byte keys in standard or url-safe base64 and makes the highest primary', async () => {
    const standard = btoa(String.fromCharCode(...new Uint8Array(32).fill(250)));
    const keyring = await createSecretKeyring(`2:${standard}, 1:${generateSecretKeysSpec(1).slice(2)}`);
    expect(keyring.versions).toEqual([1, 2]);
    expect(keyring.primaryVersion).toBe(2);
  });

  it('refuses malformed key lists without echoing key material', () => {
    const secretLooking = 'A'.repeat(20);
    for (const [spec, message] of [
      ['', /at least one key/],
      [`x:${secretLooking}`, /positive integer version/],
      [`0:${secretLooking}`, /positive integer version/],
      [`1:${secretLooking}`, /exactly 32 bytes/],
      [`1:${generateSecretKeysSpec().slice(2)},1:${generateSecretKeysSpec().slice(2)}`, /listed twice/],
      ['1:not base64!!', /exactly 32 bytes/],
    ] as const) {
      expect(() => parseSecretKeys(spec), spec).toThrow(message);
      try {
        parseSecretKeys(spec);
      } catch (error) {
        expect((error as Error).message).not.toContain(secretLooking);
      }
    }
  });
});

describe('envelope encryption', () => {
  it('round-trips a value under a fresh data key and IV each time', async () => {
    const keyring = await createSecretKeyring(generateSecretKeysSpec());
    const first = await sealSecret(keyring, binding, VALUE);
    const second = await sealSecret(keyring, binding, VALUE);
    expect(await openSecret(keyring, binding, first)).toBe(VALUE);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.iv).not.toBe(second.iv);
    expect(first.wrappedKey).not.toBe(second.wrappedKey);
    expect(fromBase64Url(first.iv)).toHaveLength(12);
    expect(JSON.stringify(first)).not.toContain(VALUE);
    expect(await openSecret(keyring, binding, await sealSecret(keyring, binding, 'ünïcødé 🔑'))).toBe(
      'ünïcødé 🔑',
    );
  });

  it('fails the integrity check when ciphertext, IVs, wrapped key or version label are altered', async () => {
    const keyring = await createSecretKeyring(
      `1:${generateSecretKeysSpec().slice(2)},2:${generateSecretKeysSpec().slice(2)}`,
    );
    const sealed = await sealSecret(keyring, binding, VALUE);
    const tampered: SealedSecret[] = [
      { ...sealed, ciphertext: flip(sealed.ciphertext) },
      { ...sealed, ciphertext: flip(sealed.ciphertext, fromBase64Url(sealed.ciphertext).length - 1) },
      { ...sealed, iv: flip(sealed.iv) },
      { ...sealed, wrappedKey: flip(sealed.wrappedKey) },
      { ...sealed, wrapIv: flip(sealed.wrapIv) },
      { ...sealed, iv: '' },
      { ...sealed, ciphertext: 'not*base64' },
      { ...sealed, kekVersion: 1 },
    ];
    for (const item of tampered) {
      await expect(openSecret(keyring, binding, item)).rejects.toBeInstanceOf(SecretIntegrityError);
    }
  });

  it('binds tenant and secret id: a row copied to another tenant or id does not decrypt', async () => {
    const keyring = await createSecretKeyring(generateSecretKeysSpec());
    const sealed = await sealSecret(keyring, binding, VALUE);
    for (const other of [
      { tenantId: 'ten_B', secretId: 'sec_1' },
      { tenantId: 'ten_A', secretId: 'sec_2' },
    ]) {
      await expect(openSecret(keyring, other, sealed)).rejects.toBeInstanceOf(SecretIntegrityError);
    }
    // Swapping only the value layer between two secrets of the same tenant fails too.
    const otherSealed = await sealSecret(keyring, { tenantId: 'ten_A', secretId: 'sec_2' }, 'another value');
    await expect(
      openSecret(keyring, binding, { ...sealed, ciphertext: otherSealed.ciphertext, iv: otherSealed.iv }),
    ).rejects.toBeInstanceOf(SecretIntegrityError);
  });

  it('rewraps to the primary KEK without touching the ciphertext; old KEKs stay readable until removed', async () => {
    const [one, two] = [generateSecretKeysSpec(1), generateSecretKeysSpec(2)];
    const oldRing = await createSecretKeyring(one);
    const sealed = await sealSecret(oldRing, binding, VALUE);
    expect(sealed.kekVersion).toBe(1);
    const bothRing = await createSecretKeyring(`${one},${two}`);
    expect(await openSecret(bothRing, binding, sealed)).toBe(VALUE);
    const moved = { ...sealed, ...(await rewrapSealedKey(bothRing, binding, sealed)) };
    expect(moved.kekVersion).toBe(2);
    expect(moved.ciphertext).toBe(sealed.ciphertext);
    expect(moved.iv).toBe(sealed.iv);
    const newRing = await createSecretKeyring(two);
    expect(await openSecret(newRing, binding, moved)).toBe(VALUE);
    const error = await openSecret(newRing, binding, sealed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretKeyUnavailableError);
    expect((error as SecretKeyUnavailableError).status).toBe(503);
    expect((error as Error).message).toMatch(/version 1\b.*not configured/);
  });
});
