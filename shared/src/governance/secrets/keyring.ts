import { AppError, randomBytes, toBase64Url } from '../../core/index.ts';

/*
 * The platform's key-encryption keys (KEKs), by version. They come from one setting,
 * `LUMAY_SECRETS_KEYS` = `1:<base64 32 bytes>,2:<base64 32 bytes>`; the highest version is the
 * primary (new data keys are wrapped with it), older versions stay for unwrapping until a rewrap
 * has moved every secret off them. Keys are imported non-extractable into WebCrypto, so the same
 * code runs in Workers and on Node.
 */

/** Bytes of a KEK (AES-256). */
export const SECRET_KEY_BYTES = 32;
const GCM_IV_BYTES = 12;

/** A wrapped data key: the KEK version that wrapped it, the wrapped bytes and the wrap IV. */
export interface WrappedKey {
  readonly kekVersion: number;
  readonly wrapped: Uint8Array;
  readonly iv: Uint8Array;
}

/** The KEKs of a deployment; never exposes key material. */
export interface SecretKeyring {
  /** The version new data keys are wrapped with (the highest configured). */
  readonly primaryVersion: number;
  /** Every configured version, ascending. */
  readonly versions: readonly number[];
  has(version: number): boolean;
  /** Wraps a data key with the primary KEK, binding `aadFor(primaryVersion)` as associated data. */
  wrap(dataKey: Uint8Array, aadFor: (kekVersion: number) => Uint8Array): Promise<WrappedKey>;
  /**
   * Unwraps a data key. Throws {@link SecretKeyUnavailableError} when the version is not configured
   * and {@link SecretIntegrityError} when the wrapped key, its IV or the associated data were altered.
   */
  unwrap(key: WrappedKey, aad: Uint8Array): Promise<Uint8Array>;
}

/** The KEK a secret was wrapped with is not configured (it was removed before a rewrap). */
export class SecretKeyUnavailableError extends AppError {
  readonly kekVersion: number;

  constructor(kekVersion: number) {
    super(
      'service_unavailable',
      `The secret cannot be decrypted: its key-encryption key (version ${kekVersion}) is not configured`,
      { details: { reason: 'kek_unavailable', kekVersion } },
    );
    this.name = 'SecretKeyUnavailableError';
    this.kekVersion = kekVersion;
  }
}

/** A stored secret failed authentication (altered ciphertext, IV, wrapped key or moved row). */
export class SecretIntegrityError extends AppError {
  constructor() {
    super('internal_error', 'A stored secret failed its integrity check and was not decrypted', {
      details: { reason: 'integrity_check_failed' },
    });
    this.name = 'SecretIntegrityError';
  }
}

/** No keyring is configured, so no secret can be stored or read. */
export class SecretsNotConfiguredError extends AppError {
  constructor() {
    super('service_unavailable', 'Secrets are not configured on this deployment (set LUMAY_SECRETS_KEYS)', {
      details: { reason: 'secrets_not_configured' },
    });
    this.name = 'SecretsNotConfiguredError';
  }
}

function decodeBase64(value: string): Uint8Array | undefined {
  const normalized = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(normalized) || normalized.length % 4 === 1) return undefined;
  try {
    const binary = atob(normalized + '==='.slice((normalized.length + 3) % 4));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Parses a `LUMAY_SECRETS_KEYS` value into version → 32 key bytes. Throws an Error whose message
 * says what is wrong without echoing key material (config validation shows it to operators).
 */
export function parseSecretKeys(spec: string): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>();
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('must list at least one key as <version>:<base64 32 bytes>');
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const versionText = separator === -1 ? '' : entry.slice(0, separator).trim();
    if (!/^[1-9]\d{0,8}$/.test(versionText)) {
      throw new Error(`entry ${index + 1} must start with a positive integer version and ':'`);
    }
    const version = Number(versionText);
    if (keys.has(version)) throw new Error(`version ${version} is listed twice`);
    const bytes = decodeBase64(entry.slice(separator + 1).trim());
    if (!bytes || bytes.length !== SECRET_KEY_BYTES) {
      throw new Error(`version ${version} must be base64 of exactly ${SECRET_KEY_BYTES} bytes`);
    }
    keys.set(version, bytes);
  }
  return keys;
}

/** A fresh single-key `LUMAY_SECRETS_KEYS` value (the embedded default generates one on first start). */
export function generateSecretKeysSpec(version = 1): string {
  return `${version}:${toBase64Url(randomBytes(SECRET_KEY_BYTES))}`;
}

function importKek(bytes: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'AES-GCM' }, false, [
    'encrypt',
    'decrypt',
  ]);
}

/**
 * Builds the keyring from a `LUMAY_SECRETS_KEYS` value (or parsed keys). Raw key bytes are zeroed
 * once imported.
 *
 * @example
 * const keyring = await createSecretKeyring(config.LUMAY_SECRETS_KEYS);
 */
export async function createSecretKeyring(
  spec: string | ReadonlyMap<number, Uint8Array>,
): Promise<SecretKeyring> {
  const raw = typeof spec === 'string' ? parseSecretKeys(spec) : new Map(spec);
  if (raw.size === 0) throw new Error('A secret keyring needs at least one key');
  const keks = new Map<number, CryptoKey>();
  for (const [version, bytes] of raw) {
    keks.set(version, await importKek(bytes));
    if (typeof spec === 'string') bytes.fill(0);
  }
  const versions = [...keks.keys()].sort((a, b) => a - b);
  const primaryVersion = versions.at(-1) ?? 0;

  return {
    primaryVersion,
    versions,
    has: (version) => keks.has(version),
    async wrap(dataKey, aadFor) {
      const kek = keks.get(primaryVersion);
      if (!kek) throw new SecretKeyUnavailableError(primaryVersion);
      const iv = randomBytes(GCM_IV_BYTES);
      const wrapped = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: new Uint8Array(aadFor(primaryVersion)) },
        kek,
        new Uint8Array(dataKey),
      );
      return { kekVersion: primaryVersion, wrapped: new Uint8Array(wrapped), iv };
    },
    async unwrap(key, aad) {
      const kek = keks.get(key.kekVersion);
      if (!kek) throw new SecretKeyUnavailableError(key.kekVersion);
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: new Uint8Array(key.iv), additionalData: new Uint8Array(aad) },
          kek,
          new Uint8Array(key.wrapped),
        );
        return new Uint8Array(plain);
      } catch {
        throw new SecretIntegrityError();
      }
    },
  };
}
