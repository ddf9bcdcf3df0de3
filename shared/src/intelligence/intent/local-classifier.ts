import { textFeatures } from './text-features.ts';

/*
 * The fast local intent classifier: TF-IDF vectors over an agent's labelled examples, cosine
 * similarity, and a confidence that is a calibrated function of the similarity margin.
 *
 * Each intent scores the blend of its two nearest examples (phrasings vary: "where is my parcel" and
 * "has order 12 shipped" are both order status) and its centroid (robust when one odd example
 * happens to share a word). The confidence is a logistic function of the top score and of the
 * margin to the runner-up, fitted by `npm run eval:intents -- --calibrate` on cross-validated
 * predictions of the shipped benchmark (bench/intents/banking-sample.jsonl); see
 * docs/decisions/0016-intent-classification.md for the fit and its reliability table.
 */

/** An intent as the classifier sees it. */
export interface IntentDefinition {
  readonly name: string;
  readonly description?: string | null;
  readonly examples: readonly string[];
}

/** One candidate of a ranking. */
export interface IntentScore {
  readonly intent: string;
  readonly score: number;
}

/** The local classifier's answer. `intent` is `none` when the text shares nothing with any example. */
export interface LocalIntentMatch {
  readonly intent: string;
  /** Estimated probability that `intent` is right, 0–1. */
  readonly confidence: number;
  /** Similarity of the best intent, 0–1. */
  readonly score: number;
  /** Best score minus the runner-up's. */
  readonly margin: number;
  /** All intents, best first. */
  readonly ranking: readonly IntentScore[];
}

/** A trained classifier (training is a pass over the examples: milliseconds for hundreds). */
export interface LocalIntentClassifier {
  readonly intents: readonly string[];
  classify(text: string): LocalIntentMatch;
}

/**
 * Local answers at or above this confidence are returned without asking a model. On the shipped
 * benchmark (5-fold cross-validation) 0.7 answers 54% of utterances locally, 95% of them right
 * (0.6: 62% at 90%); see docs/decisions/0016-intent-classification.md. Agents may set
 * `config.intents.threshold`.
 */
export const DEFAULT_INTENT_THRESHOLD = 0.7;

/** The intent name used when nothing matches. */
export const NO_INTENT = 'none';

/** An intent's nearest-examples similarity is the mean over this many of its closest examples. */
const NEAREST_COUNT = 2;
/** Weight of the nearest examples against the centroid in an intent's score. */
const NEAREST_WEIGHT = 0.5;

/** Logistic calibration of (score, margin) → probability of being right; see the file comment. */
export const CONFIDENCE_CALIBRATION = { intercept: -1.28, score: 4.06, margin: 7.86 } as const;

type Vector = Map<string, number>;

function norm(vector: Vector): number {
  let sum = 0;
  for (const value of vector.values()) sum += value * value;
  return Math.sqrt(sum);
}

function normalize(vector: Vector): Vector {
  const length = norm(vector);
  if (length === 0) return vector;
  const out: Vector = new Map();
  for (const [key, value] of vector) out.set(key, value / length);
  return out;
}

function dot(left: Vector, right: Vector): number {
  const [small, large] = left.size <= right.size ? [left, right] : [right, left];
  let sum = 0;
  for (const [key, value] of small) sum += value * (large.get(key) ?? 0);
  return sum;
}

/** The calibrated probability for a top score and margin. */
export function calibratedConfidence(score: number, margin: number): number {
  if (score <= 0) return 0;
  const { intercept, score: scoreWeight, margin: marginWeight } = CONFIDENCE_CALIBRATION;
  return 1 / (1 + Math.exp(-(intercept + scoreWeight * score + marginWeight * margin)));
}

/**
 * Trains on the intents' examples (plus each intent's name and description, which count as one
 * more example) and returns the classifier.
 *
 * @example
 * const classifier = createLocalIntentClassifier([{ name: 'refund', examples: ['I want my money back'] }]);
 * classifier.classify('money back please'); // { intent: 'refund', confidence: …, … }
 */
export function createLocalIntentClassifier(definitions: readonly IntentDefinition[]): LocalIntentClassifier {
  const documents: { intent: string; features: Vector }[] = [];
  for (const definition of definitions) {
    const label = `${definition.name.replace(/[_-]+/g, ' ')} ${definition.description ?? ''}`;
    for (const text of [label, ...definition.examples]) {
      const features = textFeatures(text);
      if (features.size > 0) documents.push({ intent: definition.name, features });
    }
  }
  const documentFrequency = new Map<string, number>();
  for (const document of documents) {
    for (const feature of document.features.keys()) {
      documentFrequency.set(feature, (documentFrequency.get(feature) ?? 0) + 1);
    }
  }
  const idf = (feature: string) =>
    Math.log((documents.length + 1) / ((documentFrequency.get(feature) ?? 0) + 1)) + 1;
  const weigh = (features: Vector): Vector => {
    const out: Vector = new Map();
    // Features never seen in training cannot match anything; dropping them keeps scores comparable.
    for (const [feature, count] of features) {
      if (!documentFrequency.has(feature)) continue;
      // Sub-linear term frequency: a word said twice is not twice the evidence.
      const frequency = count <= 1 ? count : 1 + Math.log(count);
      out.set(feature, frequency * idf(feature));
    }
    return normalize(out);
  };
  const byIntent = new Map<string, Vector[]>();
  for (const document of documents) {
    const list = byIntent.get(document.intent) ?? [];
    list.push(weigh(document.features));
    byIntent.set(document.intent, list);
  }
  const centroids = new Map<string, Vector>();
  for (const [intent, vectors] of byIntent) {
    const sum: Vector = new Map();
    for (const vector of vectors)
      for (const [key, value] of vector) sum.set(key, (sum.get(key) ?? 0) + value);
    centroids.set(intent, normalize(sum));
  }
  const intents = definitions.map((definition) => definition.name);

  return {
    intents,
    classify(text) {
      const query = weigh(textFeatures(text));
      const ranking = intents
        .map((intent) => {
          const similarities = (byIntent.get(intent) ?? []).map((vector) => dot(query, vector));
          similarities.sort((left, right) => right - left);
          const closest = similarities.slice(0, NEAREST_COUNT);
          const nearest = closest.reduce((sum, value) => sum + value, 0) / Math.max(1, closest.length);
          const centroid = dot(query, centroids.get(intent) ?? new Map());
          return { intent, score: NEAREST_WEIGHT * nearest + (1 - NEAREST_WEIGHT) * centroid };
        })
        .sort((left, right) => right.score - left.score || left.intent.localeCompare(right.intent));
      const best = ranking[0];
      if (!best || best.score <= 0) return { intent: NO_INTENT, confidence: 0, score: 0, margin: 0, ranking };
      const margin = best.score - (ranking[1]?.score ?? 0);
      return {
        intent: best.intent,
        confidence: calibratedConfidence(best.score, margin),
        score: best.score,
        margin,
        ranking,
      };
    },
  };
}
