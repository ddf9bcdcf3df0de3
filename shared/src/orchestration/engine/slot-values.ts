import type { FlowNode } from '../flows/definition.ts';
import { safeMatch } from '../flows/safe-pattern.ts';

type CollectNode = Extract<FlowNode, { type: 'collect' }>;

/** A parsed slot value, or why the input does not fit. */
export type SlotParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

const YES = new Set([
  'yes',
  'y',
  'yeah',
  'yep',
  'yup',
  'sure',
  'correct',
  'right',
  'true',
  'ok',
  'okay',
  'affirmative',
]);
const NO = new Set(['no', 'n', 'nope', 'nah', 'false', 'negative', 'incorrect', 'wrong']);
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

const invalid = (reason: string): SlotParse => ({ ok: false, reason });

function isoDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  return date.toISOString().slice(0, 10);
}

function monthIndex(word: string): number | undefined {
  const lower = word.toLowerCase();
  if (lower.length < 3) return undefined;
  const index = MONTHS.findIndex((month) => month.startsWith(lower));
  return index < 0 ? undefined : index + 1;
}

/** ISO `2026-07-04`, `04.07.2026`, `4 July 2026`, `July 4, 2026`, `today`, `tomorrow` → `YYYY-MM-DD`. */
function parseDate(text: string, now: Date): string | undefined {
  const lower = text.toLowerCase();
  const day = 86_400_000;
  if (lower === 'today') return now.toISOString().slice(0, 10);
  if (lower === 'tomorrow') return new Date(now.getTime() + day).toISOString().slice(0, 10);
  if (lower === 'yesterday') return new Date(now.getTime() - day).toISOString().slice(0, 10);
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (match) return isoDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
  if (match) return isoDate(Number(match[3]), Number(match[2]), Number(match[1]));
  match = /^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+),?\s+(\d{4})$/.exec(text);
  if (match) {
    const month = monthIndex(match[2] ?? '');
    return month ? isoDate(Number(match[3]), month, Number(match[1])) : undefined;
  }
  match = /^([A-Za-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(text);
  if (match) {
    const month = monthIndex(match[1] ?? '');
    return month ? isoDate(Number(match[3]), month, Number(match[2])) : undefined;
  }
  return undefined;
}

function parseBoolean(text: string): boolean | undefined {
  // DTMF convention: 1 = yes, 2 = no.
  if (text === '1') return true;
  if (text === '2') return false;
  const words = text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
  for (const word of words) {
    if (YES.has(word)) return true;
    if (NO.has(word)) return false;
  }
  return undefined;
}

function parseEnum(text: string, options: readonly string[]): string | undefined {
  const lower = text.toLowerCase();
  // DTMF: the 1-based position of an option.
  if (/^\d+$/.test(text)) {
    const byIndex = options[Number(text) - 1];
    if (byIndex !== undefined) return byIndex;
  }
  const exact = options.find((option) => option.toLowerCase() === lower);
  if (exact) return exact;
  const words = new Set(lower.split(/[^\p{L}\p{N}_-]+/u).filter(Boolean));
  const mentioned = options.filter(
    (option) => words.has(option.toLowerCase()) || lower.includes(option.toLowerCase()),
  );
  return mentioned.length === 1 ? mentioned[0] : undefined;
}

/**
 * Validates and normalizes the answer to a collect node by its `valueType`: text (or DTMF digits) in,
 * a typed slot value out (numbers as numbers, yes/no as booleans, dates as `YYYY-MM-DD`).
 */
export function parseSlotValue(node: CollectNode, raw: string, now: Date): SlotParse {
  const text = raw.trim();
  if (text === '') return invalid('the answer is empty');
  switch (node.valueType) {
    case 'string':
      return { ok: true, value: text };
    case 'number': {
      const value = Number(text.replace(/[\s,]/g, ''));
      return Number.isFinite(value) ? { ok: true, value } : invalid('not a number');
    }
    case 'integer': {
      const compact = text.replace(/[\s,]/g, '');
      const value = Number(compact);
      return /^[+-]?\d+$/.test(compact) && Number.isSafeInteger(value)
        ? { ok: true, value }
        : invalid('not a whole number');
    }
    case 'boolean': {
      const value = parseBoolean(text);
      return value === undefined ? invalid('not a yes or no') : { ok: true, value };
    }
    case 'email': {
      const value = text.toLowerCase();
      return /^[^\s@]{1,64}@[^\s@]+\.[a-z]{2,}$/.test(value) && value.length <= 254
        ? { ok: true, value }
        : invalid('not an email address');
    }
    case 'phone': {
      const value = text.replace(/[\s().-]/g, '');
      return /^\+?\d{7,15}$/.test(value) ? { ok: true, value } : invalid('not a phone number');
    }
    case 'date': {
      const value = parseDate(text, now);
      return value ? { ok: true, value } : invalid('not a date');
    }
    case 'enum': {
      const value = parseEnum(text, node.options ?? []);
      return value === undefined
        ? invalid(`not one of ${(node.options ?? []).join(', ')}`)
        : { ok: true, value };
    }
    case 'regex': {
      if (!node.pattern) return invalid('the node has no pattern');
      try {
        return safeMatch(node.pattern, text)
          ? { ok: true, value: text }
          : invalid('does not match the pattern');
      } catch {
        return invalid('the node pattern is refused');
      }
    }
  }
}
