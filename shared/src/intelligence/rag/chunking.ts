import type { ParsedBlock, ParsedDocument } from './parsing/parsed-document.ts';

/** Sizes of chunks, in estimated tokens. */
export interface ChunkingOptions {
  /** A chunk is closed once adding the next piece would pass this. Default 300. */
  readonly targetTokens?: number;
  /** Trailing sentences of a chunk repeated at the start of the next one in the same section. Default 40. */
  readonly overlapTokens?: number;
  /** No piece is longer: longer sentences are cut at word boundaries. Default 512. */
  readonly maxTokens?: number;
}

/** One retrieval unit, before embedding. */
export interface DocumentChunk {
  readonly ordinal: number;
  /** The heading path, outermost first, joined with " > "; null outside any heading. */
  readonly heading: string | null;
  readonly content: string;
  readonly tokenCount: number;
}

export const DEFAULT_CHUNKING: Required<ChunkingOptions> = {
  targetTokens: 300,
  overlapTokens: 40,
  maxTokens: 512,
};

/**
 * A token estimate without a tokenizer: English BPE vocabularies average about four characters or
 * three quarters of a word per token; the larger of the two keeps code and long words from being
 * underestimated.
 */
export function estimateTokens(text: string): number {
  if (text === '') return 0;
  const words = text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
  return Math.ceil(Math.max(text.length / 4, (words * 4) / 3));
}

interface Piece {
  readonly text: string;
  readonly tokens: number;
  /** How this piece joins the one before it. */
  readonly separator: string;
}

const SENTENCE_END = /(?<=[.!?…]["')\]]?)\s+(?=["'([]?[\p{Lu}\p{N}])/u;

function splitLong(text: string, maxTokens: number, separator: string): Piece[] {
  const words = text.split(/\s+/).filter((word) => word !== '');
  const pieces: Piece[] = [];
  let current: string[] = [];
  for (const word of words) {
    const candidate = [...current, word].join(' ');
    if (current.length > 0 && estimateTokens(candidate) > maxTokens) {
      pieces.push({ text: current.join(' '), tokens: estimateTokens(current.join(' ')), separator: ' ' });
      current = [word];
    } else {
      current.push(word);
    }
  }
  if (current.length > 0)
    pieces.push({ text: current.join(' '), tokens: estimateTokens(current.join(' ')), separator: ' ' });
  return pieces.map((piece, index) => (index === 0 ? { ...piece, separator } : piece));
}

/** A block as pieces no longer than the target: whole, or by lines (lists, code, tables) or sentences. */
function piecesOf(block: ParsedBlock, options: Required<ChunkingOptions>): Piece[] {
  const tokens = estimateTokens(block.text);
  if (tokens <= options.targetTokens) return [{ text: block.text, tokens, separator: '\n\n' }];
  const byLines = block.kind !== 'text';
  const parts = byLines ? block.text.split('\n') : block.text.split(SENTENCE_END);
  const pieces: Piece[] = [];
  for (const part of parts) {
    const text = byLines ? part : part.trim();
    if (text.trim() === '') continue;
    const separator = pieces.length === 0 ? '\n\n' : byLines ? '\n' : ' ';
    const partTokens = estimateTokens(text);
    if (partTokens > options.maxTokens) pieces.push(...splitLong(text, options.maxTokens, separator));
    else pieces.push({ text, tokens: partTokens, separator });
  }
  return pieces;
}

function headingOf(headings: readonly string[]): string | null {
  const path = headings.filter((heading) => heading !== '');
  return path.length > 0 ? path.join(' > ') : null;
}

/**
 * Splits a parsed document by its structure: a chunk never spans two sections (heading paths);
 * inside a section, blocks are packed up to `targetTokens`, a block too big for one chunk is split
 * by lines or sentences (and an over-long sentence at word boundaries), and each new chunk of a
 * section starts with the last sentences of the previous one, up to `overlapTokens`, so a fact cut
 * at a boundary is still found with its context.
 */
export function chunkDocument(document: ParsedDocument, options: ChunkingOptions = {}): DocumentChunk[] {
  const settings = { ...DEFAULT_CHUNKING, ...options };
  const chunks: DocumentChunk[] = [];
  const emit = (heading: string | null, pieces: readonly Piece[]) => {
    const content = pieces
      .map((piece, index) => (index === 0 ? piece.text : `${piece.separator}${piece.text}`))
      .join('')
      .trim();
    if (content === '') return;
    chunks.push({ ordinal: chunks.length, heading, content, tokenCount: estimateTokens(content) });
  };

  let index = 0;
  const blocks = document.blocks;
  while (index < blocks.length) {
    const first = blocks[index];
    if (!first) break;
    const key = JSON.stringify(first.headings);
    const heading = headingOf(first.headings);
    const section: Piece[] = [];
    for (; index < blocks.length && JSON.stringify(blocks[index]?.headings) === key; index += 1) {
      const block = blocks[index];
      if (block) section.push(...piecesOf(block, settings));
    }
    let current: Piece[] = [];
    let currentTokens = 0;
    let fresh = 0;
    for (const piece of section) {
      if (fresh > 0 && currentTokens + piece.tokens > settings.targetTokens) {
        emit(heading, current);
        const overlap: Piece[] = [];
        let overlapTokens = 0;
        for (let back = current.length - 1; back >= 0; back -= 1) {
          const previous = current[back];
          if (!previous || overlapTokens + previous.tokens > settings.overlapTokens) break;
          overlap.unshift(previous);
          overlapTokens += previous.tokens;
        }
        const keep = overlapTokens + piece.tokens <= settings.maxTokens;
        current = keep ? overlap : [];
        currentTokens = keep ? overlapTokens : 0;
        fresh = 0;
      }
      current.push(piece);
      currentTokens += piece.tokens;
      fresh += 1;
    }
    if (fresh > 0) emit(heading, current);
  }
  return chunks;
}
