export type { SealedSecret, SecretBinding } from './envelope.ts';
export { openSecret, rewrapSealedKey, sealSecret } from './envelope.ts';
export type { SecretKeyring, WrappedKey } from './keyring.ts';
export {
  createSecretKeyring,
  generateSecretKeysSpec,
  parseSecretKeys,
  SECRET_KEY_BYTES,
  SecretIntegrityError,
  SecretKeyUnavailableError,
  SecretsNotConfiguredError,
} from './keyring.ts';
export type { RewrapReport, SecretInput, SecretService, SecretView } from './secret-service.ts';
export { createSecretService, rewrapAllTenants, toSecretView } from './secret-service.ts';
