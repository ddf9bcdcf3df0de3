/**
 * E.164: a plus sign, a non-zero country code digit, 7 to 15 digits in all (the shortest numbers in
 * use, e.g. Niue's, have seven).
 */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/** Formatting people type around numbers ("+1 (555) 010-0000"), removed before the E.164 check. */
const FORMATTING = /[\s().-]/g;

/** Whether `value` is already a phone number in E.164 form. */
export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}

/**
 * The E.164 form of a phone number typed with spaces, dots, dashes or parentheses, or null when it is
 * not one. Numbers without the leading `+` are refused: guessing a country is how calls go astray.
 */
export function normalizePhone(value: string): string | null {
  const compact = value.trim().replace(FORMATTING, '');
  return isE164(compact) ? compact : null;
}
