/**
 * Cuts streaming LLM text into sentences, so text-to-speech can start on the first sentence while
 * the model is still writing the rest (time to first audio is what callers hear as latency).
 *
 * A sentence ends at `.`, `!`, `?` or `…` (runs like `?!` or `...`, plus closing quotes and
 * brackets) followed by whitespace and then a character that is not a lowercase letter, or at a
 * newline. Not an end: decimals and prices (`10.50`, `$3.99`), URLs and e-mail addresses (no
 * whitespace after the dot), known abbreviations (`Mr.`, `Dr.`, `e.g.`, `etc.`, `St.`, `vs.`),
 * initials (`J. R. R. Tolkien`, `U.S.`), and anything followed by a lowercase word. Because that
 * needs the character after the whitespace, a candidate at the very end of the text waits for the
 * next delta (an LLM token usually brings the space and the next word together, so this costs
 * nothing); the result is the same however the text is split into deltas. Sentences shorter than
 * `minChars` are merged with the next one (TTS prosody is poor on fragments like "Sure!"), and a
 * sentence that runs past `maxChars` is cut at its next comma, semicolon or colon.
 */

export interface SentenceSplitterOptions {
  /** Shorter sentences are merged with the next one. Default 20. */
  minChars?: number;
  /** Past this length, a sentence is also cut at `,` `;` `:` followed by whitespace. Default 160. */
  maxChars?: number;
}

export interface SentenceSplitter {
  /** Adds the next piece of text; returns the sentences it completed (trimmed), in order. */
  push(delta: string): string[];
  /** Returns whatever is left (trimmed) at the end of the response, or null, and starts over. */
  flush(): string | null;
  /** Drops the pending text (the response was interrupted). */
  reset(): void;
}

const TERMINATORS = new Set(['.', '!', '?', '…']);
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '»']);
const CLAUSE_BREAKS = new Set([',', ';', ':']);
const OPENERS = /^["'“‘([«]+/;
/** Words that end in a dot without ending the sentence (lowercase, without their final dot). */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'eg',
  'ie',
  'cf',
  'mt',
  'ft',
  'approx',
  'dept',
  'fig',
  'vol',
]);
/** A single letter or dotted letters (`J`, `U.S`, `e.g`): initials and initialisms. */
const INITIALS = /^(?:\p{L}\.)*\p{L}$/u;

const isSpace = (char: string) => char === ' ' || char === '\n' || char === '\t' || char === '\r';
const isLowercase = (char: string) => char !== char.toUpperCase() && char === char.toLowerCase();

/** The word just before `end` (a single `.`), without opening quotes or brackets. */
function wordBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && !isSpace(text[start - 1] as string)) start--;
  return text.slice(start, end).replace(OPENERS, '');
}

/** A sentence splitter for one streamed response. */
export function createSentenceSplitter(options: SentenceSplitterOptions = {}): SentenceSplitter {
  const minChars = options.minChars ?? 20;
  const maxChars = options.maxChars ?? 160;
  let text = '';
  /** Where scanning resumes: everything before it has been decided. */
  let scanFrom = 0;

  /** Splits after `end` if the sentence is long enough; returns where scanning continues. */
  function cut(end: number, out: string[]): number {
    const sentence = text.slice(0, end).trim();
    if (sentence.length < minChars) return end;
    out.push(sentence);
    text = text.slice(end).trimStart();
    return 0;
  }

  /** Whether the terminator run text[start, runEnd) followed by whitespace and `next` ends a sentence. */
  function endsSentence(start: number, runEnd: number, next: string): boolean {
    if (isLowercase(next)) return false;
    if (runEnd - start === 1 && text[start] === '.') {
      const word = wordBefore(text, start);
      if (ABBREVIATIONS.has(word.toLowerCase()) || INITIALS.test(word)) return false;
    }
    return true;
  }

  function scan(): string[] {
    const out: string[] = [];
    let i = scanFrom;
    while (i < text.length) {
      const char = text[i] as string;
      if (char === '\n') {
        i = cut(i + 1, out);
        continue;
      }
      if (TERMINATORS.has(char)) {
        let runEnd = i;
        while (runEnd < text.length && TERMINATORS.has(text[runEnd] as string)) runEnd++;
        let end = runEnd;
        while (end < text.length && CLOSERS.has(text[end] as string)) end++;
        let next = end;
        while (next < text.length && isSpace(text[next] as string) && text[next] !== '\n') next++;
        if (next >= text.length) break; // the deciding character has not arrived yet
        if (next === end || text[next] === '\n') {
          i = next; // no whitespace after it (10.50, example.com), or a newline that cuts anyway
          continue;
        }
        i = endsSentence(i, runEnd, text[next] as string) ? cut(end, out) : next;
        continue;
      }
      if (CLAUSE_BREAKS.has(char) && i >= maxChars) {
        if (i + 1 >= text.length) break;
        i = isSpace(text[i + 1] as string) ? cut(i + 1, out) : i + 1;
        continue;
      }
      i++;
    }
    scanFrom = i;
    return out;
  }

  return {
    push(delta) {
      text += delta;
      return scan();
    },
    flush() {
      const rest = text.trim();
      text = '';
      scanFrom = 0;
      return rest.length > 0 ? rest : null;
    },
    reset() {
      text = '';
      scanFrom = 0;
    },
  };
}
