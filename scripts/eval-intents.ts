/**
 * Evaluates intent classification on a labelled set and prints accuracy, per-intent precision and
 * recall, a confusion matrix and the calibration of the confidence.
 *
 *   npm run eval:intents -- bench/intents/support-sample.jsonl            # local classifier, 5-fold CV, offline
 *   npm run eval:intents -- data.csv --folds 10 --threshold 0.7
 *   npm run eval:intents -- data.jsonl --calibrate                        # also fit the confidence calibration
 *   npm run eval:intents -- data.jsonl --agent agt_… --api http://127.0.0.1:8080 --token <token>
 *                                          # the full pipeline (local, then the agent's LLM) through the API
 *
 * Exit code 0 on success, 2 on bad arguments or input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// The evaluation modules only (no database drivers): the command starts fast and runs offline.
import {
  crossValidateLocal,
  evaluatePredictions,
  fitConfidenceCalibration,
  type IntentPrediction,
  type LabelledUtterance,
  parseLabelledSet,
} from '../shared/src/intelligence/intent/evaluation.ts';
import { formatEvaluationReport } from '../shared/src/intelligence/intent/evaluation-report.ts';
import { DEFAULT_INTENT_THRESHOLD } from '../shared/src/intelligence/intent/local-classifier.ts';

const USAGE =
  'usage: npm run eval:intents -- <labelled.jsonl|labelled.csv> [--folds N] [--threshold 0..1] [--calibrate] [--json]\n' +
  '                              [--agent agt_… --api <base URL> --token <bearer token>]';

async function classifyThroughApi(
  items: readonly LabelledUtterance[],
  options: { agent: string; api: string; token: string },
): Promise<IntentPrediction[]> {
  const predictions: IntentPrediction[] = [];
  for (const item of items) {
    const response = await fetch(new URL(`/v1/agents/${options.agent}/intents/classify`, options.api), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ text: item.text }),
    });
    const body = (await response.json()) as {
      intent?: string;
      confidence?: number | null;
      error?: { message: string };
    };
    if (!response.ok || typeof body.intent !== 'string') {
      throw new Error(`classify answered ${response.status}: ${body.error?.message ?? 'unexpected body'}`);
    }
    predictions.push({
      text: item.text,
      expected: item.intent,
      predicted: body.intent,
      confidence: body.confidence ?? 0,
    });
  }
  return predictions;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      folds: { type: 'string', default: '5' },
      threshold: { type: 'string', default: String(DEFAULT_INTENT_THRESHOLD) },
      calibrate: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      agent: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const file = positionals[0];
  const folds = Number(values.folds);
  const threshold = Number(values.threshold);
  if (!file || !Number.isInteger(folds) || folds < 2 || !(threshold >= 0 && threshold <= 1)) {
    console.error(USAGE);
    return 2;
  }
  const format = /\.csv$/i.test(file) ? 'csv' : 'jsonl';
  const items = parseLabelledSet(await readFile(file, 'utf8'), format);
  if (items.length < folds) {
    console.error(`${file}: ${items.length} utterances is fewer than ${folds} folds`);
    return 2;
  }
  let title: string;
  let report: ReturnType<typeof evaluatePredictions>;
  if (values.agent) {
    if (!values.api || !values.token) {
      console.error(`--agent needs --api and --token\n${USAGE}`);
      return 2;
    }
    report = evaluatePredictions(
      await classifyThroughApi(items, { agent: values.agent, api: values.api, token: values.token }),
      threshold,
    );
    title = `intent evaluation: agent ${values.agent} through ${values.api}, ${items.length} utterances`;
  } else {
    report = crossValidateLocal(items, { folds, threshold });
    title = `intent evaluation: local classifier, ${folds}-fold stratified cross-validation on ${file} (${items.length} utterances)`;
  }
  if (values.json) {
    const { predictions: _predictions, ...summary } = report;
    console.log(JSON.stringify(summary, null, 2));
  } else {
    console.log(formatEvaluationReport(report, title));
  }
  if (values.calibrate) {
    const samples = report.predictions.flatMap((item) =>
      item.score === undefined || item.margin === undefined
        ? []
        : [{ score: item.score, margin: item.margin, correct: item.expected === item.predicted }],
    );
    const fit = fitConfidenceCalibration(samples);
    console.log(
      `\ncalibration fit: intercept ${fit.intercept.toFixed(3)}, score ${fit.score.toFixed(3)}, ` +
        `margin ${fit.margin.toFixed(3)} (log loss ${fit.logLoss.toFixed(4)}, n=${samples.length})`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
