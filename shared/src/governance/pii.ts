/**
 * A small detector of personal data in free text: email addresses, phone numbers, payment card
 * numbers (13–19 digits that pass the Luhn check) and US social security numbers (`123-45-6789`).
 * It favours precision over recall: dates, amounts and short numbers (order numbers, years) are not
 * reported, so a check such as "the agent's reply echoes no PII" does not fail on ordinary answers.
 * All patterns are linear (no nested quantifiers) and inputs are length-limited.
 */

/** The kinds of personal data the detector knows. */
export const PII_KINDS = ['email', 'phone', 'card', 'ssn'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** One value found in a text. */
export interface PiiMatch {
  readonly kind: PiiKind;
  /** The text as written. */
  readonly value: string;
  /** The comparable form: digits only for numbers, lower case for email addresses. */
  readonly normalized: string;
  readonly start: number;
  readonly end: number;
}

/** Texts longer than this are scanned up to this length only. */
export const MAX_PII_SCAN_LENGTH = 100_000;

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g;
/** Digit groups separated by single spaces or dashes (card numbers are written in groups of 4). */
const CARD = /\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}/g;
const SSN = /\d{3}-\d{2}-\d{4}/g;
/**
 * A run of 7–15 digits (optionally +), or digit groups with a separator between each group, after an
 * optional +country code and (area): `+1 (415) 555-0100`, `415.555.0100`. Separators are required
 * between groups so that a long digit run cannot be split in many ways (no backtracking blow-up).
 */
const PHONE =
  /\+?\d{7,15}|\+?\d{1,4}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]\d{2,5}){1,5}|\(\d{2,4}\)[ .-]?\d{2,5}(?:[ .-]\d{2,5}){1,4}/g;
const SSN_SHAPE = /^\d{3}-\d{2}-\d{4}$/;
const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

const digitsOf = (text: string) => text.replace(/\D/g, '');

/** The Luhn (mod 10) check of a card number's digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = Number(digits[index]);
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A match must not be glued to more letters or digits (`ab12345678901` is not a phone number). */
function standsAlone(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? '';
  const after = text[end] ?? '';
  return !/[\p{L}\p{N}_@]/u.test(before) && !/[\p{L}\p{N}_@]/u.test(after);
}

function isCard(value: string): boolean {
  const digits = digitsOf(value);
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

function isSsn(value: string): boolean {
  const [area = '', group = '', serial = ''] = value.split('-');
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
}

function isPhone(value: string): boolean {
  const trimmed = value.trim();
  if (DATE_LIKE.test(trimmed) || SSN_SHAPE.test(trimmed)) return false;
  const digits = digitsOf(trimmed);
  if (digits.length < 7 || digits.length > 15) return false;
  // Undelimited digit runs are phone numbers only with a + prefix or at least 10 digits; shorter ones
  // are order numbers, amounts or codes far more often.
  const delimited = /[ ().-]/.test(trimmed);
  return trimmed.startsWith('+') || delimited || digits.length >= 10;
}

const DETECTORS: readonly { kind: PiiKind; pattern: RegExp; accept: (value: string) => boolean }[] = [
  { kind: 'email', pattern: EMAIL, accept: () => true },
  { kind: 'card', pattern: CARD, accept: isCard },
  { kind: 'ssn', pattern: SSN, accept: isSsn },
  { kind: 'phone', pattern: PHONE, accept: isPhone },
];

/**
 * Finds email addresses, phone numbers, card numbers (Luhn-checked) and SSNs in `text`, in order of
 * appearance. A span is reported once, as the first kind that claims it (email, card, SSN, phone).
 */
export function detectPii(text: string): PiiMatch[] {
  const input = text.length > MAX_PII_SCAN_LENGTH ? text.slice(0, MAX_PII_SCAN_LENGTH) : text;
  const found: PiiMatch[] = [];
  const overlaps = (start: number, end: number) =>
    found.some((match) => start < match.end && end > match.start);
  for (const { kind, pattern, accept } of DETECTORS) {
    for (const match of input.matchAll(pattern)) {
      // Trailing separators are not part of the value (`call 555-0100.`).
      const value = match[0].replace(/[ .-]+$/, '');
      const start = match.index;
      const end = start + value.length;
      if (!accept(value) || overlaps(start, end)) continue;
      if (kind !== 'email' && !standsAlone(input, start, end)) continue;
      const normalized = kind === 'email' ? value.toLowerCase() : digitsOf(value);
      found.push({ kind, value, normalized, start, end });
    }
  }
  return found.sort((left, right) => left.start - right.start);
}

/** A value shown without revealing it: the kind and the last characters (`card ••••1111`). */
export function maskPii(match: Pick<PiiMatch, 'kind' | 'normalized'>): string {
  if (match.kind === 'email') {
    const [local = '', domain = ''] = match.normalized.split('@');
    return `email ${local.slice(0, 1)}•••@${domain}`;
  }
  return `${match.kind} ••••${match.normalized.slice(-4)}`;
}

/**
 * Whether `text` repeats any of `values` (normalized as {@link detectPii} does): digit sequences are
 * compared with separators inside numbers removed (`415 555 0100` repeats `4155550100`), email
 * addresses case-insensitively. Returns the repeated values.
 */
export function findEchoes(text: string, values: readonly Pick<PiiMatch, 'kind' | 'normalized'>[]) {
  const lower = text.slice(0, MAX_PII_SCAN_LENGTH).toLowerCase();
  const digitRuns = lower.replace(/(?<=\d)[ ().-]{1,2}(?=[\d(])/g, '').match(/\d+/g) ?? [];
  return values.filter((value) =>
    value.kind === 'email'
      ? lower.includes(value.normalized)
      : digitRuns.some((run) => run.includes(value.normalized)),
  );
}
