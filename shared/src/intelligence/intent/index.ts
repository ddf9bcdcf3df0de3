export type {
  EvaluationReport,
  IntentMetrics,
  IntentPrediction,
  LabelledUtterance,
} from './evaluation.ts';
export {
  crossValidateLocal,
  definitionsFrom,
  evaluatePredictions,
  fitConfidenceCalibration,
  parseLabelledSet,
} from './evaluation.ts';
export { formatEvaluationReport, reliabilityTable } from './evaluation-report.ts';
export type {
  IntentClassification,
  IntentClassificationDeps,
  IntentClassificationService,
} from './intent-classification.ts';
export { createIntentClassificationService, intentThresholdOf } from './intent-classification.ts';
export type { IntentInput, IntentService, IntentView } from './intent-service.ts';
export { createIntentService, MAX_INTENTS_PER_AGENT, toIntentView } from './intent-service.ts';
export type {
  IntentDefinition,
  IntentScore,
  LocalIntentClassifier,
  LocalIntentMatch,
} from './local-classifier.ts';
export {
  CONFIDENCE_CALIBRATION,
  calibratedConfidence,
  createLocalIntentClassifier,
  DEFAULT_INTENT_THRESHOLD,
  NO_INTENT,
} from './local-classifier.ts';
