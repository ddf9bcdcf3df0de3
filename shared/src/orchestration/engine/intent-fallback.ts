/**
 * The engine's built-in intent matcher, used when no classifier is configured or the classifier
 * names an intent the router does not route: it matches the route intent names (`order_status`,
 * `refund`, `talk_to_human`) lexically against the utterance. Confidence is the share of the name's
 * words the utterance contains (with a light plural/suffix folding), so `order_status` scores 0.5 on
 * "where is my order".
 */

function stem(word: string): string {
  let stemmed = word.toLowerCase();
  for (const suffix of ['ing', 'es', 's', 'ed']) {
    if (stemmed.length > suffix.length + 2 && stemmed.endsWith(suffix)) {
      stemmed = stemmed.slice(0, -suffix.length);
      break;
    }
  }
  return stemmed;
}

function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
    .map(stem);
}

/** The best matching intent name and its confidence (0 when nothing matches). */
export function matchIntentLexically(
  text: string,
  intents: readonly string[],
): { intent: string; confidence: number } | undefined {
  const spoken = new Set(words(text));
  let best: { intent: string; confidence: number } | undefined;
  for (const intent of intents) {
    const nameWords = [...new Set(words(intent))];
    if (nameWords.length === 0) continue;
    const hits = nameWords.filter((word) => spoken.has(word)).length;
    const confidence = hits / nameWords.length;
    if (confidence > 0 && (!best || confidence > best.confidence)) best = { intent, confidence };
  }
  return best;
}
