import { parseHtml } from './html.ts';
import { parseMarkdown } from './markdown.ts';
import {
  type DocumentFormat,
  DocumentParseError,
  type ParsedDocument,
  parsePlainText,
} from './parsed-document.ts';
import { looksLikePdf, parsePdf } from './pdf.ts';

const BY_MEDIA_TYPE: Readonly<Record<string, DocumentFormat>> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
  'application/pdf': 'pdf',
};

/**
 * The parser for a fetched resource, chosen by its Content-Type; when the type is missing or
 * generic, by the bytes (`%PDF-`, an HTML doctype) and then by the URL's extension. Returns null
 * for media types we do not ingest (images, archives, executables…).
 */
export function formatForResource(
  contentType: string | null,
  url: string,
  body: Uint8Array,
): DocumentFormat | null {
  const path = (() => {
    try {
      return new URL(url).pathname.toLowerCase();
    } catch {
      return '';
    }
  })();
  const declared = contentType ? BY_MEDIA_TYPE[contentType] : undefined;
  if (declared === 'text' && /\.(md|markdown)$/.test(path)) return 'markdown';
  if (declared) return declared;
  if (
    contentType !== null &&
    contentType !== 'application/octet-stream' &&
    contentType !== 'binary/octet-stream'
  ) {
    return null;
  }
  if (looksLikePdf(body)) return 'pdf';
  const head = new TextDecoder().decode(body.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (/\.(md|markdown)$/.test(path)) return 'markdown';
  if (/\.(txt|text)$/.test(path)) return 'text';
  return null;
}

/** Decodes text bytes with the declared charset, falling back to UTF-8 when it is unknown. */
export function decodeText(body: Uint8Array, charset: string | null): string {
  if (charset) {
    try {
      return new TextDecoder(charset).decode(body);
    } catch {
      // An unknown label: UTF-8 below.
    }
  }
  return new TextDecoder().decode(body);
}

/** Parses content of a known format into title and structural blocks. */
export async function parseDocument(
  format: DocumentFormat,
  content: string | Uint8Array,
): Promise<ParsedDocument> {
  if (format === 'pdf') {
    if (typeof content === 'string') throw new DocumentParseError('PDF content must be bytes');
    return parsePdf(content);
  }
  const text = typeof content === 'string' ? content : decodeText(content, null);
  switch (format) {
    case 'markdown':
      return parseMarkdown(text);
    case 'html':
      return parseHtml(text);
    case 'text':
      return parsePlainText(text);
  }
}
