import { randomBytes, sha256Hex, toBase64Url } from '../../core/index.ts';

/**
 * Opaque bearer credentials. Both kinds name their tenant and row id in clear text (neither is a
 * secret) so the lookup runs under that tenant's RLS scope; only the SHA-256 of the whole string is
 * stored, compared in constant time. 256 bits of entropy make a slow KDF unnecessary.
 *
 *   API key:       lmk_<tenantId>_<keyId>_<secret>
 *   refresh token: lmr_<tenantId>_<tokenId>_<secret>
 */
const PATTERNS = {
  apiKey: /^lmk_(ten_[0-9A-HJKMNP-TV-Z]{26})_(key_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/,
  refreshToken: /^lmr_(ten_[0-9A-HJKMNP-TV-Z]{26})_(rtk_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/,
} as const;

const PREFIX = { apiKey: 'lmk', refreshToken: 'lmr' } as const;

export type CredentialKind = keyof typeof PATTERNS;

export interface ParsedCredential {
  tenantId: string;
  id: string;
}

export function mintCredential(kind: CredentialKind, tenantId: string, id: string): string {
  return `${PREFIX[kind]}_${tenantId}_${id}_${toBase64Url(randomBytes(32))}`;
}

export function parseCredential(kind: CredentialKind, value: string): ParsedCredential | undefined {
  const match = PATTERNS[kind].exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  return { tenantId: match[1], id: match[2] };
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(`${PREFIX.apiKey}_`);
}

export function hashCredential(value: string): Promise<string> {
  return sha256Hex(value);
}
