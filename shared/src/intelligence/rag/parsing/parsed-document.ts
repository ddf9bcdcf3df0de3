/** The formats ingestion understands. */
export const DOCUMENT_FORMATS = ['text', 'markdown', 'html', 'pdf'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** One structural unit of a document, under its heading path (outermost heading first). */
export interface ParsedBlock {
  readonly headings: readonly string[];
  readonly kind: 'text' | 'list' | 'code' | 'table';
  readonly text: string;
}

/** A document reduced to its title and blocks, the input of chunking. */
export interface ParsedDocument {
  readonly title: string | null;
  readonly blocks: readonly ParsedBlock[];
}

/** Content that cannot be parsed (a corrupt PDF, an unsupported media type); never retried. */
export class DocumentParseError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DocumentParseError';
  }
}

/** Collapses runs of whitespace (prose outside code). */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Normalises line endings and strips NULs and other control characters Postgres text rejects. */
export function normaliseText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/[ \t]+$/gm, '')
  );
}

/** A short title from the first meaningful line of a text. */
export function titleFromText(text: string): string | null {
  const line = text
    .split('\n')
    .map((candidate) => collapseWhitespace(candidate))
    .find((candidate) => candidate !== '');
  if (!line) return null;
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

/** Plain text: paragraphs separated by blank lines, no headings. */
export function parsePlainText(content: string): ParsedDocument {
  const text = normaliseText(content);
  const blocks = text
    .split(/\n\s*\n/)
    .map((paragraph) => collapseWhitespace(paragraph))
    .filter((paragraph) => paragraph !== '')
    .map((paragraph) => ({ headings: [], kind: 'text' as const, text: paragraph }));
  return { title: titleFromText(text), blocks };
}
