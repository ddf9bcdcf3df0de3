/*
 * Text features for the local intent classifier: normalised words, a light suffix stemmer, word
 * bigrams and character trigrams (which keep typos and inflections close). Deterministic and
 * dependency-free, so it runs at the edge and in the evaluation CLI alike.
 */

/** Function words that carry no intent; negations and question words are kept on purpose. */
const STOPWORDS = new Set(
  (
    'a an the and or but if then so of to in on at by for from with about as into onto is are was were be been ' +
    'being am do does did i me my mine we us our you your yours he she it its they them their this that these ' +
    'those there here just please pls thanks thank hi hey hello would could should can will shall may might must ' +
    'have has had get got some any very really also too again still'
  ).split(' '),
);

/** Words whose meaning the classifier must not lose to the stopword list (greetings are an intent). */
const KEEP = new Set(['hi', 'hey', 'hello', 'thanks', 'thank']);

/** Strips common English suffixes; crude, but consistent for examples and queries alike. */
export function stemWord(word: string): string {
  if (word.length <= 3) return word;
  const rules: [RegExp, string][] = [
    [/ies$/, 'y'],
    [/ied$/, 'y'],
    [/(ss)es$/, '$1'],
    [/([^s])s$/, '$1'],
    [/eed$/, 'ee'],
    [/(..)ing$/, '$1'],
    [/(..)ed$/, '$1'],
    [/(..)ly$/, '$1'],
    [/(..)ment$/, '$1'],
    [/(..)ation$/, '$1'],
  ];
  for (const [pattern, replacement] of rules) {
    if (pattern.test(word)) {
      const stemmed = word.replace(pattern, replacement);
      // Undouble a final consonant left by -ing/-ed ("cancelled" → "cancel", "shipping" → "ship").
      return stemmed.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(stemmed) ? stemmed.slice(0, -1) : stemmed;
    }
  }
  return word;
}

/** Lower-cased words without diacritics. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/['’]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Stemmed content words of a text. */
export function contentTerms(text: string, options: { keepGreetings?: boolean } = {}): string[] {
  return words(text)
    .filter((word) => !STOPWORDS.has(word) || (options.keepGreetings !== false && KEEP.has(word)))
    .map(stemWord);
}

/** Weighted features of a text: unigrams (1), bigrams (0.5) and character trigrams (0.25 each). */
export function textFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const add = (feature: string, weight: number) =>
    features.set(feature, (features.get(feature) ?? 0) + weight);
  const terms = contentTerms(text);
  for (const [index, term] of terms.entries()) {
    add(`w:${term}`, 1);
    const next = terms[index + 1];
    if (next !== undefined) add(`b:${term}_${next}`, 0.5);
    const padded = `<${term}>`;
    if (term.length >= 4) {
      for (let offset = 0; offset + 3 <= padded.length; offset++)
        add(`c:${padded.slice(offset, offset + 3)}`, 0.25);
    }
  }
  return features;
}
