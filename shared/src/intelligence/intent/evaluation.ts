import { AppError } from '../../core/index.ts';
import { createLocalIntentClassifier, type IntentDefinition } from './local-classifier.ts';

/*
 * Offline evaluation of intent classification: labelled sets (JSONL or CSV), stratified k-fold
 * cross-validation of the local classifier, accuracy, per-intent precision/recall, a confusion
 * matrix, coverage at a confidence threshold, and a logistic fit of the confidence calibration.
 */

/** One labelled utterance. */
export interface LabelledUtterance {
  readonly text: string;
  readonly intent: string;
}

/** One prediction to score. */
export interface IntentPrediction {
  readonly text: string;
  readonly expected: string;
  readonly predicted: string;
  readonly confidence: number;
  /** Local classifier internals, when known (for calibration). */
  readonly score?: number;
  readonly margin?: number;
}

/** Precision and recall of one intent. */
export interface IntentMetrics {
  readonly intent: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Utterances labelled with this intent. */
  readonly support: number;
}

/** The result of an evaluation. */
export interface EvaluationReport {
  readonly total: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly perIntent: readonly IntentMetrics[];
  /** Row and column order of `confusion`. */
  readonly labels: readonly string[];
  /** `confusion[actual][predicted]` counts. */
  readonly confusion: readonly (readonly number[])[];
  /** Predictions at or above the threshold: what the local classifier would answer alone. */
  readonly threshold: number;
  readonly confident: { readonly count: number; readonly coverage: number; readonly accuracy: number };
  readonly predictions: readonly IntentPrediction[];
}

function fail(message: string): never {
  throw new AppError('validation_failed', message);
}

/** Splits one CSV line into fields (RFC 4180 quoting; one record per line). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index];
    if (quoted) {
      if (character === '"' && line[index + 1] === '"') {
        current += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else current += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      fields.push(current);
      current = '';
    } else current += character;
  }
  fields.push(current);
  return fields.map((field) => field.trim());
}

/** Parses a labelled set: JSONL lines `{ "text", "intent" }`, or CSV with a `text,intent` header. */
export function parseLabelledSet(content: string, format: 'jsonl' | 'csv'): LabelledUtterance[] {
  const lines = content.split(/\r?\n/);
  const items: LabelledUtterance[] = [];
  if (format === 'csv') {
    const header = csvFields(lines[0] ?? '').map((name) => name.toLowerCase());
    const textColumn = header.indexOf('text');
    const intentColumn = header.indexOf('intent');
    if (textColumn === -1 || intentColumn === -1)
      fail('the CSV header must name the columns text and intent');
    for (const [index, line] of lines.slice(1).entries()) {
      if (line.trim() === '') continue;
      const fields = csvFields(line);
      const text = fields[textColumn] ?? '';
      const intent = fields[intentColumn] ?? '';
      if (text === '' || intent === '') fail(`line ${index + 2}: text and intent must not be empty`);
      items.push({ text, intent });
    }
    return items;
  }
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(`line ${index + 1}: not valid JSON`);
    }
    const record = value as { text?: unknown; intent?: unknown };
    if (
      typeof record?.text !== 'string' ||
      typeof record.intent !== 'string' ||
      !record.text ||
      !record.intent
    ) {
      fail(`line ${index + 1}: expected {"text": "...", "intent": "..."}`);
    }
    items.push({ text: record.text, intent: record.intent });
  }
  return items;
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);

/** Scores predictions: accuracy, per-intent precision/recall/F1, the confusion matrix, coverage at `threshold`. */
export function evaluatePredictions(
  predictions: readonly IntentPrediction[],
  threshold: number,
): EvaluationReport {
  const labels = [
    ...new Set([...predictions.map((item) => item.expected), ...predictions.map((item) => item.predicted)]),
  ].sort();
  const position = new Map(labels.map((label, index) => [label, index]));
  const confusion = labels.map(() => labels.map(() => 0));
  for (const item of predictions) {
    const row = confusion[position.get(item.expected) ?? 0];
    const column = position.get(item.predicted) ?? 0;
    if (row) row[column] = (row[column] ?? 0) + 1;
  }
  const correct = predictions.filter((item) => item.expected === item.predicted).length;
  const perIntent = labels
    .filter((label) => predictions.some((item) => item.expected === label))
    .map((intent) => {
      const truePositive = predictions.filter(
        (item) => item.expected === intent && item.predicted === intent,
      ).length;
      const predicted = predictions.filter((item) => item.predicted === intent).length;
      const support = predictions.filter((item) => item.expected === intent).length;
      const precision = ratio(truePositive, predicted);
      const recall = ratio(truePositive, support);
      return { intent, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
    });
  const confident = predictions.filter((item) => item.confidence >= threshold);
  return {
    total: predictions.length,
    correct,
    accuracy: ratio(correct, predictions.length),
    perIntent,
    labels,
    confusion,
    threshold,
    confident: {
      count: confident.length,
      coverage: ratio(confident.length, predictions.length),
      accuracy: ratio(confident.filter((item) => item.expected === item.predicted).length, confident.length),
    },
    predictions,
  };
}

/** Groups utterances into intent definitions (the examples of each label). */
export function definitionsFrom(items: readonly LabelledUtterance[]): IntentDefinition[] {
  const grouped = new Map<string, string[]>();
  for (const item of items) grouped.set(item.intent, [...(grouped.get(item.intent) ?? []), item.text]);
  return [...grouped].map(([name, examples]) => ({ name, examples }));
}

/**
 * Stratified k-fold cross-validation of the local classifier: within each intent, the n-th
 * utterance goes to fold n mod k; each fold is classified by a classifier trained on the others.
 */
export function crossValidateLocal(
  items: readonly LabelledUtterance[],
  options: { folds?: number; threshold: number },
): EvaluationReport {
  const folds = Math.max(2, Math.min(options.folds ?? 5, items.length));
  const seen = new Map<string, number>();
  const foldOf = items.map((item) => {
    const count = seen.get(item.intent) ?? 0;
    seen.set(item.intent, count + 1);
    return count % folds;
  });
  const predictions: IntentPrediction[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const training = items.filter((_, index) => foldOf[index] !== fold);
    const classifier = createLocalIntentClassifier(definitionsFrom(training));
    items.forEach((item, index) => {
      if (foldOf[index] !== fold) return;
      const match = classifier.classify(item.text);
      predictions.push({
        text: item.text,
        expected: item.intent,
        predicted: match.intent,
        confidence: match.confidence,
        score: match.score,
        margin: match.margin,
      });
    });
  }
  return evaluatePredictions(predictions, options.threshold);
}

/**
 * Fits P(correct) = σ(a + b·score + c·margin) by gradient descent on the log loss (L2-regularised,
 * deterministic). Used to (re)calibrate the local classifier's confidence.
 */
export function fitConfidenceCalibration(
  samples: readonly { score: number; margin: number; correct: boolean }[],
  options: { iterations?: number; learningRate?: number; l2?: number } = {},
): { intercept: number; score: number; margin: number; logLoss: number } {
  let [a, b, c] = [0, 0, 0];
  const iterations = options.iterations ?? 20_000;
  const rate = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 0.001;
  const n = Math.max(1, samples.length);
  const predict = (sample: { score: number; margin: number }) =>
    1 / (1 + Math.exp(-(a + b * sample.score + c * sample.margin)));
  for (let step = 0; step < iterations; step++) {
    let [ga, gb, gc] = [0, 0, 0];
    for (const sample of samples) {
      const error = predict(sample) - (sample.correct ? 1 : 0);
      ga += error;
      gb += error * sample.score;
      gc += error * sample.margin;
    }
    a -= (rate * ga) / n;
    b -= rate * (gb / n + l2 * b);
    c -= rate * (gc / n + l2 * c);
  }
  const logLoss =
    samples.reduce((sum, sample) => {
      const p = Math.min(1 - 1e-12, Math.max(1e-12, predict(sample)));
      return sum - (sample.correct ? Math.log(p) : Math.log(1 - p));
    }, 0) / n;
  return { intercept: a, score: b, margin: c, logLoss };
}
