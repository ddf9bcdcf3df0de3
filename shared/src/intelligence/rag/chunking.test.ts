import { describe, expect, it } from 'vitest';
import { chunkDocument, estimateTokens } from './chunking.ts';
import type { ParsedBlock } from './parsing/parsed-document.ts';

const sentence = (index: number) => `Sentence number ${index} explains one small fact about parcels.`;

describe('estimateTokens', () => {
  it('is about four characters or three quarters of a word per token, whichever is more', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(3);
    expect(estimateTokens('a b c d e f')).toBe(8);
    expect(estimateTokens('x'.repeat(400))).toBe(100);
  });
});

describe('chunkDocument', () => {
  it('never lets a chunk span two sections, and records the heading path', () => {
    const blocks: ParsedBlock[] = [
      { headings: ['Guide'], kind: 'text', text: 'Intro.' },
      { headings: ['Guide', 'Install'], kind: 'text', text: 'Run the installer.' },
      { headings: ['Guide', 'Install'], kind: 'list', text: '- step one\n- step two' },
      { headings: ['', 'Orphan'], kind: 'text', text: 'No parent heading.' },
      { headings: [], kind: 'text', text: 'Outside.' },
    ];
    expect(chunkDocument({ title: null, blocks })).toEqual([
      { ordinal: 0, heading: 'Guide', content: 'Intro.', tokenCount: estimateTokens('Intro.') },
      {
        ordinal: 1,
        heading: 'Guide > Install',
        content: 'Run the installer.\n\n- step one\n- step two',
        tokenCount: estimateTokens('Run the installer.\n\n- step one\n- step two'),
      },
      { ordinal: 2, heading: 'Orphan', content: 'No parent heading.', tokenCount: 6 },
      { ordinal: 3, heading: null, content: 'Outside.', tokenCount: estimateTokens('Outside.') },
    ]);
  });

  it('splits a long section by sentences near the target size, with overlapping sentences', () => {
    const text = Array.from({ length: 40 }, (_, index) => sentence(index)).join(' ');
    const chunks = chunkDocument(
      { title: null, blocks: [{ headings: ['Long'], kind: 'text', text }] },
      { targetTokens: 60, overlapTokens: 15 },
    );
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.heading).toBe('Long');
      expect(chunk.tokenCount).toBeLessThanOrEqual(60 + 15);
      expect(chunk.content).toMatch(/^Sentence number \d+ .*parcels\.$/);
    }
    for (let index = 1; index < chunks.length; index += 1) {
      const previousLast = chunks[index - 1]?.content.split(/(?<=\.) /).at(-1);
      expect(chunks[index]?.content.startsWith(previousLast ?? '?')).toBe(true);
    }
    // Every sentence is somewhere.
    const all = chunks.map((chunk) => chunk.content).join(' ');
    for (let index = 0; index < 40; index += 1) expect(all).toContain(sentence(index));
  });

  it('cuts an over-long sentence at word boundaries and splits code by lines', () => {
    const words = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');
    const code = Array.from({ length: 120 }, (_, index) => `const value${index} = compute(${index});`).join(
      '\n',
    );
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [
          { headings: ['Words'], kind: 'text', text: words },
          { headings: ['Code'], kind: 'code', text: code },
        ],
      },
      { targetTokens: 100, overlapTokens: 0, maxTokens: 120 },
    );
    const wordChunks = chunks.filter((chunk) => chunk.heading === 'Words');
    expect(wordChunks.length).toBeGreaterThan(3);
    expect(wordChunks.map((chunk) => chunk.content).join(' ')).toBe(words);
    const codeChunks = chunks.filter((chunk) => chunk.heading === 'Code');
    expect(codeChunks.length).toBeGreaterThan(3);
    expect(codeChunks.map((chunk) => chunk.content).join('\n')).toBe(code);
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(120);
  });

  it('numbers chunks in document order and skips empty content', () => {
    const chunks = chunkDocument({
      title: null,
      blocks: [
        { headings: ['A'], kind: 'text', text: '   ' },
        { headings: ['B'], kind: 'text', text: 'b' },
        { headings: ['C'], kind: 'text', text: 'c' },
      ],
    });
    expect(chunks.map((chunk) => [chunk.ordinal, chunk.heading])).toEqual([
      [0, 'B'],
      [1, 'C'],
    ]);
  });
});
