import { fromBase64Url, randomBytes, toBase64Url, utf8 } from '../../core/index.ts';
import { SecretIntegrityError, type SecretKeyring } from './keyring.ts';

/*
 * Envelope encryption of one secret value, WebCrypto only:
 * - a fresh random 256-bit data key (DEK) per secret value, used once, with a random 96-bit IV;
 * - the value is AES-256-GCM encrypted under the DEK with associated data (tenant, secret id);
 * - the DEK is AES-GCM encrypted ("wrapped") under the primary KEK with associated data
 *   (tenant, secret id, KEK version).
 * Binding the KEK version on the wrap layer (not the value layer) is what lets a rewrap move a DEK
 * to a new KEK without touching the ciphertext, while a ciphertext or wrapped key copied to another
 * row, another tenant or another version label still fails authentication.
 */

const DATA_KEY_BYTES = 32;
const GCM_IV_BYTES = 12;

/** Which row a sealed value belongs to; bound into both layers as associated data. */
export interface SecretBinding {
  readonly tenantId: string;
  readonly secretId: string;
}

/** The stored form of a secret (base64url text columns plus the KEK version). */
export interface SealedSecret {
  readonly ciphertext: string;
  readonly iv: string;
  readonly wrappedKey: string;
  readonly wrapIv: string;
  readonly kekVersion: number;
}

/** Unambiguous encodings (JSON arrays), so no two bindings share associated data. */
function valueAad(binding: SecretBinding): Uint8Array {
  return utf8(JSON.stringify(['lumay/secret-value/v1', binding.tenantId, binding.secretId]));
}

function keyAad(binding: SecretBinding, kekVersion: number): Uint8Array {
  return utf8(JSON.stringify(['lumay/secret-dek/v1', binding.tenantId, binding.secretId, kekVersion]));
}

function decode(value: string): Uint8Array {
  try {
    return fromBase64Url(value);
  } catch {
    throw new SecretIntegrityError();
  }
}

function importDataKey(bytes: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'AES-GCM' }, false, [usage]);
}

/** Encrypts `plaintext` for `binding` under a fresh data key wrapped by the keyring's primary KEK. */
export async function sealSecret(
  keyring: SecretKeyring,
  binding: SecretBinding,
  plaintext: string,
): Promise<SealedSecret> {
  const dataKeyBytes = randomBytes(DATA_KEY_BYTES);
  try {
    const iv = randomBytes(GCM_IV_BYTES);
    const dataKey = await importDataKey(dataKeyBytes, 'encrypt');
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: new Uint8Array(valueAad(binding)) },
      dataKey,
      utf8(plaintext),
    );
    const wrapped = await keyring.wrap(dataKeyBytes, (version) => keyAad(binding, version));
    return {
      ciphertext: toBase64Url(new Uint8Array(ciphertext)),
      iv: toBase64Url(iv),
      wrappedKey: toBase64Url(wrapped.wrapped),
      wrapIv: toBase64Url(wrapped.iv),
      kekVersion: wrapped.kekVersion,
    };
  } finally {
    dataKeyBytes.fill(0);
  }
}

async function unwrapDataKey(
  keyring: SecretKeyring,
  binding: SecretBinding,
  sealed: SealedSecret,
): Promise<Uint8Array> {
  return keyring.unwrap(
    { kekVersion: sealed.kekVersion, wrapped: decode(sealed.wrappedKey), iv: decode(sealed.wrapIv) },
    keyAad(binding, sealed.kekVersion),
  );
}

/**
 * Decrypts a sealed value. Throws `SecretKeyUnavailableError` when its KEK version is not configured
 * and `SecretIntegrityError` when anything stored (or the binding) was altered.
 */
export async function openSecret(
  keyring: SecretKeyring,
  binding: SecretBinding,
  sealed: SealedSecret,
): Promise<string> {
  const dataKeyBytes = await unwrapDataKey(keyring, binding, sealed);
  try {
    const dataKey = await importDataKey(dataKeyBytes, 'decrypt');
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: new Uint8Array(decode(sealed.iv)),
        additionalData: new Uint8Array(valueAad(binding)),
      },
      dataKey,
      new Uint8Array(decode(sealed.ciphertext)),
    );
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch (error) {
    if (error instanceof SecretIntegrityError) throw error;
    throw new SecretIntegrityError();
  } finally {
    dataKeyBytes.fill(0);
  }
}

/**
 * Re-wraps the data key of a sealed value under the keyring's primary KEK; the ciphertext and its
 * IV are unchanged. Returns the new wrap columns.
 */
export async function rewrapSealedKey(
  keyring: SecretKeyring,
  binding: SecretBinding,
  sealed: SealedSecret,
): Promise<Pick<SealedSecret, 'wrappedKey' | 'wrapIv' | 'kekVersion'>> {
  const dataKeyBytes = await unwrapDataKey(keyring, binding, sealed);
  try {
    const wrapped = await keyring.wrap(dataKeyBytes, (version) => keyAad(binding, version));
    return {
      wrappedKey: toBase64Url(wrapped.wrapped),
      wrapIv: toBase64Url(wrapped.iv),
      kekVersion: wrapped.kekVersion,
    };
  } finally {
    dataKeyBytes.fill(0);
  }
}
