export { AppError, ERROR_CODES, conflict, forbidden, isAppError, notFound, unauthorized } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { ID_PREFIXES, isId, newId } from './ids.ts';
export type { IdKind } from './ids.ts';
export {
  canonicalJson,
  fromBase64Url,
  randomBytes,
  sha256Hex,
  timingSafeEqual,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { ConfigError, parseConfig } from './config.ts';
