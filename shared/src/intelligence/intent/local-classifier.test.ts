import { describe, expect, it } from 'vitest';
import { evaluatePredictions, fitConfidenceCalibration, parseLabelledSet } from './evaluation.ts';
import { calibratedConfidence, createLocalIntentClassifier, NO_INTENT } from './local-classifier.ts';
import { stemWord } from './text-features.ts';

const INTENTS = [
  {
    name: 'order_status',
    description: 'Where an order is, when it arrives',
    examples: [
      'Where is my order?',
      'Has my package shipped yet?',
      'When will my delivery arrive?',
      'track my parcel',
    ],
  },
  {
    name: 'cancel_order',
    examples: [
      'Cancel my order please',
      'I want to cancel order 3391',
      'Stop my purchase, I ordered by mistake',
    ],
  },
  {
    name: 'talk_to_human',
    examples: ['I want to talk to a real person', 'Connect me to an agent', 'Let me speak with a human'],
  },
];

describe('local intent classifier', () => {
  const classifier = createLocalIntentClassifier(INTENTS);

  it('classifies clear cases confidently, with the ranking best first', () => {
    for (const [text, intent] of [
      ['where is my package, has it shipped?', 'order_status'],
      ['please cancel the order I placed', 'cancel_order'],
      ['can I speak to a real human', 'talk_to_human'],
      ['Tracking my parcels', 'order_status'],
    ] as const) {
      const match = classifier.classify(text);
      expect(match.intent, text).toBe(intent);
      expect(match.confidence, text).toBeGreaterThan(0.7);
      expect(match.ranking[0]?.intent).toBe(intent);
      expect(match.margin).toBeCloseTo((match.ranking[0]?.score ?? 0) - (match.ranking[1]?.score ?? 0), 12);
    }
  });

  it('is less sure when a text sits between intents, and answers none when it shares nothing at all', () => {
    const clear = classifier.classify('please cancel the order I placed');
    const between = classifier.classify('order');
    expect(between.margin).toBeLessThan(clear.margin);
    expect(between.confidence).toBeLessThan(clear.confidence);
    expect(classifier.classify('the weather in Lisbon').confidence).toBeLessThan(0.5);
    expect(classifier.classify('zzz qqq')).toMatchObject({ intent: NO_INTENT, confidence: 0 });
    expect(classifier.classify('')).toMatchObject({ intent: NO_INTENT, confidence: 0 });
  });

  it('stems inflections onto the same term', () => {
    expect(stemWord('cancelled')).toBe(stemWord('cancel'));
    expect(stemWord('shipping')).toBe(stemWord('ship'));
    expect(stemWord('deliveries')).toBe('delivery');
  });

  it('grows confidence with score and margin', () => {
    expect(calibratedConfidence(0.8, 0.4)).toBeGreaterThan(calibratedConfidence(0.8, 0.1));
    expect(calibratedConfidence(0.8, 0.2)).toBeGreaterThan(calibratedConfidence(0.3, 0.2));
    expect(calibratedConfidence(0, 0)).toBe(0);
  });
});

describe('intent evaluation', () => {
  it('computes accuracy, precision, recall and the confusion matrix from the predictions', () => {
    const report = evaluatePredictions(
      [
        { text: 'a', expected: 'x', predicted: 'x', confidence: 0.9 },
        { text: 'b', expected: 'x', predicted: 'y', confidence: 0.4 },
        { text: 'c', expected: 'y', predicted: 'y', confidence: 0.8 },
        { text: 'd', expected: 'y', predicted: 'y', confidence: 0.2 },
      ],
      0.5,
    );
    expect(report.accuracy).toBe(0.75);
    expect(report.labels).toEqual(['x', 'y']);
    expect(report.confusion).toEqual([
      [1, 1],
      [0, 2],
    ]);
    expect(report.perIntent).toEqual([
      { intent: 'x', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { intent: 'y', precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
    ]);
    expect(report.confident).toEqual({ count: 2, coverage: 0.5, accuracy: 1 });
  });

  it('parses JSONL and quoted CSV, and names the bad line', () => {
    expect(parseLabelledSet('{"text":"hi","intent":"greeting"}\n\n', 'jsonl')).toEqual([
      { text: 'hi', intent: 'greeting' },
    ]);
    expect(parseLabelledSet('intent,text\nbilling,"charged twice, ""again"""\n', 'csv')).toEqual([
      { text: 'charged twice, "again"', intent: 'billing' },
    ]);
    expect(() => parseLabelledSet('{"text":"hi"}', 'jsonl')).toThrow(/line 1/);
    expect(() => parseLabelledSet('a,b\n1,2', 'csv')).toThrow(/header/);
  });

  it('fits a calibration that separates right from wrong answers', () => {
    const samples = [
      ...Array.from({ length: 20 }, (_, index) => ({ score: 0.7 + index / 100, margin: 0.3, correct: true })),
      ...Array.from({ length: 20 }, (_, index) => ({
        score: 0.2 + index / 100,
        margin: 0.02,
        correct: false,
      })),
    ];
    const fit = fitConfidenceCalibration(samples, { iterations: 5000 });
    expect(fit.margin).toBeGreaterThan(0);
    expect(fit.logLoss).toBeLessThan(0.3);
  });
});
