import type { EvaluationReport, IntentPrediction } from './evaluation.ts';

/* Plain-text rendering of an evaluation: what `npm run eval:intents` prints. */

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const pad = (value: string, width: number) => value.padEnd(width);
const padStart = (value: string, width: number) => value.padStart(width);

/** Confidence bins with the accuracy observed in each: how well confidence is calibrated. */
export function reliabilityTable(
  predictions: readonly IntentPrediction[],
  edges: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.000001],
): { from: number; to: number; count: number; meanConfidence: number; accuracy: number }[] {
  const rows = [];
  for (let index = 0; index + 1 < edges.length; index++) {
    const from = edges[index] ?? 0;
    const to = edges[index + 1] ?? 1;
    const inBin = predictions.filter((item) => item.confidence >= from && item.confidence < to);
    const mean = inBin.reduce((sum, item) => sum + item.confidence, 0) / Math.max(1, inBin.length);
    const right = inBin.filter((item) => item.expected === item.predicted).length;
    rows.push({
      from,
      to: Math.min(1, to),
      count: inBin.length,
      meanConfidence: mean,
      accuracy: right / Math.max(1, inBin.length),
    });
  }
  return rows;
}

/** The report as a table-like text: headline, per-intent metrics, confusion matrix, calibration. */
export function formatEvaluationReport(report: EvaluationReport, title: string): string {
  const lines: string[] = [title, ''];
  lines.push(`accuracy  ${percent(report.accuracy)}  (${report.correct}/${report.total})`);
  lines.push(
    `confident ${percent(report.confident.coverage)} of utterances at confidence ≥ ${report.threshold}` +
      ` (${report.confident.count}), ${percent(report.confident.accuracy)} of those right; the rest go to the LLM`,
  );
  lines.push('');
  const nameWidth = Math.max(8, ...report.labels.map((label) => label.length)) + 2;
  lines.push(
    `${pad('intent', nameWidth)}${padStart('precision', 10)}${padStart('recall', 8)}${padStart('f1', 7)}${padStart('support', 9)}`,
  );
  for (const metrics of report.perIntent) {
    lines.push(
      `${pad(metrics.intent, nameWidth)}${padStart(percent(metrics.precision), 10)}${padStart(percent(metrics.recall), 8)}` +
        `${padStart(metrics.f1.toFixed(2), 7)}${padStart(String(metrics.support), 9)}`,
    );
  }
  lines.push('', 'confusion matrix (rows: expected, columns: predicted)');
  const short = report.labels.map((_label, index) => `${index + 1}`);
  lines.push(`${pad('', nameWidth + 4)}${short.map((label) => padStart(label, 5)).join('')}`);
  for (const [row, label] of report.labels.entries()) {
    const counts = report.confusion[row] ?? [];
    lines.push(
      `${pad(`${row + 1}. ${label}`, nameWidth + 4)}${counts.map((count) => padStart(String(count), 5)).join('')}`,
    );
  }
  lines.push('', 'calibration (confidence bin → observed accuracy)');
  for (const bin of reliabilityTable(report.predictions)) {
    if (bin.count === 0) continue;
    lines.push(
      `  ${bin.from.toFixed(1)}–${bin.to.toFixed(1)}  n=${padStart(String(bin.count), 3)}  ` +
        `mean confidence ${percent(bin.meanConfidence)}  accuracy ${percent(bin.accuracy)}`,
    );
  }
  return lines.join('\n');
}
