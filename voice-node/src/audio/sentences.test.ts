import { describe, expect, it } from 'vitest';
import { createSentenceSplitter, type SentenceSplitterOptions } from './sentences.ts';

/** Every sentence: pushed in one go, then flushed. */
function split(text: string, options?: SentenceSplitterOptions): string[] {
  const splitter = createSentenceSplitter(options);
  const out = splitter.push(text);
  const rest = splitter.flush();
  return rest === null ? out : [...out, rest];
}

/** Every sentence, feeding `text` in pieces of the given sizes (cycled). */
function splitInPieces(text: string, sizes: number[]): string[] {
  const splitter = createSentenceSplitter();
  const out: string[] = [];
  for (let offset = 0, k = 0; offset < text.length; k++) {
    const size = sizes[k % sizes.length]!;
    out.push(...splitter.push(text.slice(offset, offset + size)));
    offset += size;
  }
  const rest = splitter.flush();
  return rest === null ? out : [...out, rest];
}

describe('createSentenceSplitter', () => {
  it('emits a sentence as soon as the next word shows it has ended', () => {
    const splitter = createSentenceSplitter();
    expect(splitter.push('Hello there, how are you today?')).toEqual([]);
    expect(splitter.push(' ')).toEqual([]);
    expect(splitter.push('I')).toEqual(['Hello there, how are you today?']);
    expect(splitter.push(' am doing fine, thank you! And you')).toEqual(['I am doing fine, thank you!']);
    expect(splitter.flush()).toBe('And you');
    expect(splitter.flush()).toBeNull();
  });

  it('ends sentences at . ! ? … and runs of them, closing quotes included', () => {
    expect(
      split('Your order has shipped. Is there anything else? Great, I will stop here! Well… Maybe later.'),
    ).toEqual([
      'Your order has shipped.',
      'Is there anything else?',
      'Great, I will stop here!',
      'Well… Maybe later.',
    ]);
    expect(split('He said "we are closed on Sunday." Then he left the store?! That was rude...')).toEqual([
      'He said "we are closed on Sunday."',
      'Then he left the store?!',
      'That was rude...',
    ]);
  });

  it('ends sentences at newlines', () => {
    expect(
      split('Here are your three options today\nOption one is the basic plan\n\nOption two is premium'),
    ).toEqual(['Here are your three options today', 'Option one is the basic plan', 'Option two is premium']);
  });

  it('does not split decimals or prices', () => {
    expect(split('The total comes to $3.99 plus 10.50 in fees. Shall I charge your card on file?')).toEqual([
      'The total comes to $3.99 plus 10.50 in fees.',
      'Shall I charge your card on file?',
    ]);
  });

  it('does not split after abbreviations', () => {
    expect(
      split(
        'Mr. Smith and Dr. Jones work at St. Mary vs. Mercy General. They see children, e.g. Tom, i.e. my son, etc. Call them today.',
      ),
    ).toEqual([
      'Mr. Smith and Dr. Jones work at St. Mary vs. Mercy General.',
      'They see children, e.g. Tom, i.e. my son, etc. Call them today.',
    ]);
  });

  it('does not split after initials or dotted initialisms', () => {
    expect(split('The author is J. R. R. Tolkien of the U.K. Army. He wrote many famous books.')).toEqual([
      'The author is J. R. R. Tolkien of the U.K. Army.',
      'He wrote many famous books.',
    ]);
  });

  it('does not split inside URLs or e-mail addresses, but does after them', () => {
    expect(
      split(
        'Visit https://lumay.ai/docs?page=2.5#top or write to help@support.lumay.ai. We answer within a day.',
      ),
    ).toEqual([
      'Visit https://lumay.ai/docs?page=2.5#top or write to help@support.lumay.ai.',
      'We answer within a day.',
    ]);
  });

  it('does not split when a lowercase word follows (an unknown abbreviation)', () => {
    expect(split('The parcel weighs 5 lbs. more than the other one. Anything else?')).toEqual([
      'The parcel weighs 5 lbs. more than the other one.',
      'Anything else?',
    ]);
  });

  it('merges fragments shorter than minChars with the next sentence', () => {
    expect(split('Sure! Ok. Let me check that booking for you. Done.')).toEqual([
      'Sure! Ok. Let me check that booking for you.',
      'Done.',
    ]);
    expect(split('Sure! Ok. Yes.', { minChars: 1 })).toEqual(['Sure!', 'Ok.', 'Yes.']);
  });

  it('cuts a very long clause at the first comma or semicolon after maxChars', () => {
    const clause = 'we checked the warehouse and the depot and the store';
    const text = `First ${clause}, then ${clause}; after that ${clause}, and finally ${clause}, so it is gone.`;
    const sentences = split(text);
    expect(sentences.length).toBe(2);
    // The breaks at 58 and 117 come too early; the first one past 160 characters is at 182.
    expect(sentences[0]).toBe(`First ${clause}, then ${clause}; after that ${clause},`);
    expect(sentences[1]).toBe(`and finally ${clause}, so it is gone.`);
    expect(split(text, { maxChars: 50 })).toEqual([
      `First ${clause},`,
      `then ${clause};`,
      `after that ${clause},`,
      `and finally ${clause},`,
      'so it is gone.',
    ]);
  });

  it('gives the same sentences fed token by token, character by character or all at once', () => {
    const text =
      'Hi! Your balance is $1,204.50 as of Jan 3. Mr. Lee at help@bank.example.com can explain. ' +
      'Rates rose 2.5% vs. last year, e.g. on savings… Anything else?\nNo? Then have a great day! ' +
      'See https://bank.example.com/faq.html for more. Bye.';
    const whole = split(text);
    expect(whole).toEqual([
      'Hi! Your balance is $1,204.50 as of Jan 3.',
      'Mr. Lee at help@bank.example.com can explain.',
      'Rates rose 2.5% vs. last year, e.g. on savings…',
      'Anything else?\nNo? Then have a great day!',
      'See https://bank.example.com/faq.html for more.',
      'Bye.',
    ]);
    for (const sizes of [[1], [2], [3, 1, 4], [5, 9, 2, 6], [17]])
      expect(splitInPieces(text, sizes)).toEqual(whole);
    const tokens = text.match(/\s*\S+/g) ?? [];
    const splitter = createSentenceSplitter();
    const streamed = tokens.flatMap((token) => splitter.push(token));
    expect([...streamed, splitter.flush()]).toEqual(whole);
  });

  it('reset drops pending text', () => {
    const splitter = createSentenceSplitter();
    splitter.push('This part was interrupted by the caller');
    splitter.reset();
    expect(splitter.push('A fresh answer starts here. And')).toEqual(['A fresh answer starts here.']);
    expect(splitter.flush()).toBe('And');
  });
});
