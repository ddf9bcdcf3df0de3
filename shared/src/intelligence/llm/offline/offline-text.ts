/*
 * Text handling of the offline models: tokenising, a light stemmer, sentence splitting, lexical
 * overlap and a stable hash. Deliberately small and deterministic: the same input always gives
 * the same output, on every runtime.
 */

const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i ' +
    'if in into is it its me my of on or our ours please she so than that the their them then there these they ' +
    'this those to us was we were what when where which who whom why will with would you your yours hi hello ' +
    'hey thanks thank just about also any some'
  ).split(' '),
);

/** Lower-cased words; identifiers are split (`orderId`, `order_status`, `orders.lookup`). */
export function words(text: string): string[] {
  const spaced = text.replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2');
  return (spaced.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => word !== '');
}

/** "shipp" → "ship", "runn" → "run" (but "fall", "miss" and "buzz" keep their pair). */
function undouble(stemmed: string): string {
  return /([b-df-hj-km-rtv-y])\1$/.test(stemmed) ? stemmed.slice(0, -1) : stemmed;
}

/** A light English stemmer: plurals, -ing and -ed, enough to match "orders" with "order". */
export function stem(word: string): string {
  if (/^\d/.test(word) || word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ing') && word.length > 5) return undouble(word.slice(0, -3));
  if (word.endsWith('ed') && word.length > 4) return undouble(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

/** Whether a word carries no meaning for matching. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** The meaningful, stemmed terms of a text, in order. */
export function terms(text: string): string[] {
  return words(text)
    .filter((word) => !isStopword(word))
    .map(stem);
}

/** The distinct terms of a text. */
export function termSet(text: string): Set<string> {
  return new Set(terms(text));
}

/** How many distinct terms two texts share. */
export function overlap(left: ReadonlySet<string>, right: ReadonlySet<string>): number {
  let shared = 0;
  for (const term of left) if (right.has(term)) shared += 1;
  return shared;
}

/** Splits prose into sentences (keeps the end punctuation). */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

/** 32-bit FNV-1a of a string's UTF-16 code units, with a seed to derive independent hashes. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A rough token count (about four characters per token), used for offline usage figures. */
export function estimateTokens(text: string): number {
  return text === '' ? 0 : Math.ceil(text.length / 4);
}
