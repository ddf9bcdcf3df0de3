/**
 * A deterministic synthetic corpus for volume: Markdown documents with headings and paragraphs of
 * pseudo-words drawn from a Zipf distribution (a few words are very common, most are rare), like
 * natural text, so full-text and vector indexes see a realistic term spread.
 */

/** Mulberry32: a small seeded PRNG, so every run builds the same corpus. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ber',
  'dan',
  'fel',
  'gor',
  'hin',
  'jul',
  'kest',
  'lum',
  'mor',
  'nil',
  'pra',
  'quo',
  'rix',
  'sel',
  'tan',
  'ul',
  'ven',
  'wex',
  'yor',
  'zed',
];

export interface SyntheticCorpus {
  /** A Markdown document of about `targetBytes` bytes. */
  document(index: number, targetBytes: number): string;
  /** A query of `words` distinct content words of the corpus vocabulary. */
  query(words: number): string;
}

export function createSyntheticCorpus(seed = 42, vocabularySize = 6000): SyntheticCorpus {
  const random = seededRandom(seed);
  const vocabulary = new Set<string>();
  while (vocabulary.size < vocabularySize) {
    const length = 2 + Math.floor(random() * 3);
    let word = '';
    for (let index = 0; index < length; index += 1)
      word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    vocabulary.add(word);
  }
  const words = [...vocabulary];
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= words.length; rank += 1) {
    total += 1 / rank ** 1.05;
    cumulative.push(total);
  }
  const pick = (next: () => number): string => {
    const target = next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return words[low] ?? 'ka';
  };
  const sentence = (next: () => number) => {
    const length = 8 + Math.floor(next() * 12);
    const parts = Array.from({ length }, () => pick(next));
    const first = parts[0] ?? 'ka';
    parts[0] = first.charAt(0).toUpperCase() + first.slice(1);
    return `${parts.join(' ')}.`;
  };
  const paragraph = (next: () => number) =>
    Array.from({ length: 3 + Math.floor(next() * 4) }, () => sentence(next)).join(' ');

  return {
    document(index, targetBytes) {
      const next = seededRandom(seed * 7919 + index);
      const parts = [`# Synthetic document ${index} ${pick(next)} ${pick(next)}`];
      let size = parts[0]?.length ?? 0;
      let section = 0;
      while (size < targetBytes) {
        section += 1;
        const heading = `## Section ${section} ${pick(next)} ${pick(next)}`;
        parts.push(heading);
        size += heading.length;
        for (let count = 2 + Math.floor(next() * 3); count > 0 && size < targetBytes; count -= 1) {
          const text = paragraph(next);
          parts.push(text);
          size += text.length + 2;
        }
      }
      return parts.join('\n\n');
    },
    query(count) {
      // Content words, like a user's question after stopwords: uniform over frequency ranks 100–3,000
      // (each appears in roughly 0.5–15% of chunks); the 100 most frequent words play the stopwords.
      const terms = new Set<string>();
      while (terms.size < count) terms.add(words[100 + Math.floor(random() * 2900)] ?? 'ka');
      return [...terms].join(' ');
    },
  };
}
