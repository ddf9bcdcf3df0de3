import { AppError, sha256Hex, utf8 } from '../../core/index.ts';
import { decodeBase64, sha256OfBytes } from './indexing.ts';
import { normaliseText, titleFromText } from './parsing/parsed-document.ts';
import { checkUrl, type UrlPolicy, UrlRefusedError } from './sources/url-policy.ts';
import type { DocumentRow } from './views.ts';

/** A document to ingest: inline content, a base64 PDF, or a URL fetched in the background. */
export type DocumentInput =
  | { type: 'text' | 'markdown' | 'html'; content: string; title?: string | undefined }
  | { type: 'pdf'; contentBase64: string; title?: string | undefined }
  | { type: 'url'; url: string; title?: string | undefined };

export const DEFAULT_INLINE_MAX_BYTES = 64 * 1024;

/** Media types of the inline formats. */
export const MIME_TYPES = {
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  pdf: 'application/pdf',
};

/**
 * The title shown until the document is parsed (queued documents); parsing replaces it with the
 * document's own title unless the caller gave one.
 */
function provisionalTitle(type: 'text' | 'markdown' | 'html', content: string): string {
  if (type === 'html') return /<title[^>]*>([^<]{1,200})</i.exec(content)?.[1]?.trim() || 'Untitled page';
  const text = type === 'markdown' ? content.replace(/^\s{0,3}#{1,6}\s+/gm, '') : content;
  return titleFromText(text) ?? 'Untitled';
}

/** A submission validated and hashed, before any database work. */
export interface PreparedDocument {
  sourceType: DocumentRow['sourceType'];
  hash: string;
  byteSize: number;
  title: string;
  autoTitle: boolean;
  sourceUri: string | null;
  mimeType: string | null;
  /** Stored for the consumer when the ingest is queued (text, or base64 for PDFs). */
  pending: string | null;
  /** Text content indexed inline. */
  inline: string | null;
}

/**
 * Validates a submission and computes its content hash: URLs pass the SSRF guard's DNS-free checks
 * (400 otherwise), PDFs must decode from base64 and start with `%PDF-` (415 otherwise), text must not
 * be empty. Text up to `inlineMaxBytes` is indexed inline; the rest is kept for the consumer.
 */
export async function prepareSubmission(
  input: DocumentInput,
  inlineMaxBytes: number,
  policy: UrlPolicy,
): Promise<PreparedDocument> {
  const given = input.title?.trim() || null;
  if (input.type === 'url') {
    let href: string;
    try {
      href = checkUrl(input.url, policy).url.href;
    } catch (error) {
      if (error instanceof UrlRefusedError)
        throw new AppError('bad_request', error.message, { details: { reason: error.reason } });
      throw error;
    }
    return {
      sourceType: 'url',
      hash: await sha256Hex(`url:${href}`),
      byteSize: 0,
      title: given ?? href,
      autoTitle: given === null,
      sourceUri: href,
      mimeType: null,
      pending: null,
      inline: null,
    };
  }
  if (input.type === 'pdf') {
    const bytes = decodeBase64(input.contentBase64);
    if (!bytes || bytes.length === 0)
      throw new AppError('validation_failed', 'contentBase64 is not valid base64');
    if (new TextDecoder().decode(bytes.subarray(0, 5)) !== '%PDF-') {
      throw new AppError('unsupported_media_type', 'contentBase64 does not hold a PDF file');
    }
    return {
      sourceType: 'pdf',
      hash: await sha256OfBytes(bytes),
      byteSize: bytes.length,
      title: given ?? 'Untitled PDF',
      autoTitle: given === null,
      sourceUri: null,
      mimeType: MIME_TYPES.pdf,
      pending: input.contentBase64,
      inline: null,
    };
  }
  const content = normaliseText(input.content).trim();
  if (content.trim() === '') throw new AppError('validation_failed', 'content is empty');
  const byteSize = utf8(content).length;
  const inline = byteSize <= inlineMaxBytes;
  return {
    sourceType: input.type,
    hash: await sha256Hex(content),
    byteSize,
    title: given ?? provisionalTitle(input.type, content),
    autoTitle: given === null,
    sourceUri: null,
    mimeType: MIME_TYPES[input.type],
    pending: inline ? null : content,
    inline: inline ? content : null,
  };
}
