import { describe, expect, it } from 'vitest';
import { matchIntentLexically } from './intent-fallback.ts';

describe('matchIntentLexically', () => {
  const intents = ['order_status', 'refund', 'talk_to_human', 'billingQuestion'];

  it('scores the share of the intent name the utterance mentions', () => {
    expect(matchIntentLexically('I want to check my order status', intents)).toEqual({
      intent: 'order_status',
      confidence: 1,
    });
    expect(matchIntentLexically('where are my orders?', intents)).toEqual({
      intent: 'order_status',
      confidence: 0.5,
    });
    expect(matchIntentLexically('I have a billing question', intents)).toEqual({
      intent: 'billingQuestion',
      confidence: 1,
    });
    expect(matchIntentLexically('refunds please', intents)).toEqual({ intent: 'refund', confidence: 1 });
  });

  it('answers undefined when nothing matches', () => {
    expect(matchIntentLexically('good morning', intents)).toBeUndefined();
    expect(matchIntentLexically('', intents)).toBeUndefined();
  });
});
