export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export { ConfigError, parseConfig } from './config.ts';
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
export type { ErrorCode } from './errors.ts';
export { AppError, conflict, ERROR_CODES, forbidden, isAppError, notFound, unauthorized } from './errors.ts';
export type { IdKind } from './ids.ts';
export { ID_PREFIXES, isId, newId } from './ids.ts';
