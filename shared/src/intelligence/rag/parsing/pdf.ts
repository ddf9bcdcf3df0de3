import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import {
  collapseWhitespace,
  DocumentParseError,
  normaliseText,
  type ParsedBlock,
  type ParsedDocument,
} from './parsed-document.ts';

/** Whether the bytes start like a PDF file. */
export function looksLikePdf(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && new TextDecoder().decode(bytes.subarray(0, 5)) === '%PDF-';
}

function paragraphsOf(pageText: string): string[] {
  const text = normaliseText(pageText);
  const explicit = text.split(/\n\s*\n/);
  if (explicit.length > 1) return explicit.map(collapseWhitespace).filter((part) => part !== '');
  // PDF text often has no blank lines: a line ending a sentence and followed by a capital starts a paragraph.
  const paragraphs: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const trimmed = collapseWhitespace(line);
    if (trimmed === '') continue;
    current = current === '' ? trimmed : `${current} ${trimmed}`;
    if (/[.!?:]["')\]]?$/.test(trimmed) && current.length > 200) {
      paragraphs.push(current);
      current = '';
    }
  }
  if (current !== '') paragraphs.push(current);
  return paragraphs;
}

/**
 * PDF text through unpdf (a serverless build of Mozilla's PDF.js, runtime-neutral). PDFs carry no
 * reliable heading structure, so each page is a section headed `Page N`: chunks never span pages
 * and citations can name the page. The title comes from the document information dictionary.
 */
export async function parsePdf(bytes: Uint8Array): Promise<ParsedDocument> {
  if (!looksLikePdf(bytes)) throw new DocumentParseError('The content is not a PDF file');
  let pages: string[];
  let title: string | null = null;
  try {
    // PDF.js may transfer (detach) the buffer it is given: hand it a copy.
    const proxy = await getDocumentProxy(bytes.slice());
    try {
      const text = await extractText(proxy, { mergePages: false });
      pages = text.text;
      const meta = await getMeta(proxy).catch(() => null);
      const info = (meta?.info ?? {}) as Record<string, unknown>;
      title =
        typeof info.Title === 'string' && info.Title.trim() !== '' ? collapseWhitespace(info.Title) : null;
    } finally {
      await proxy.loadingTask.destroy();
    }
  } catch (error) {
    throw new DocumentParseError(`The PDF could not be read: ${(error as Error)?.message ?? error}`, {
      cause: error,
    });
  }
  const blocks: ParsedBlock[] = [];
  for (const [index, page] of pages.entries()) {
    for (const paragraph of paragraphsOf(page)) {
      blocks.push({ headings: [`Page ${index + 1}`], kind: 'text', text: paragraph });
    }
  }
  return { title, blocks };
}
