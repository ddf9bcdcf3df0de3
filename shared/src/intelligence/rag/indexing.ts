import { type ChunkingOptions, chunkDocument, type DocumentChunk } from './chunking.ts';
import { parseDocument } from './parsing/parse-document.ts';
import type { DocumentFormat, ParsedDocument } from './parsing/parsed-document.ts';

/** The text an embedding is computed from: the heading path gives a chunk its context. */
export function embeddingText(chunk: Pick<DocumentChunk, 'heading' | 'content'>): string {
  return chunk.heading ? `${chunk.heading}\n${chunk.content}` : chunk.content;
}

/** Parses and chunks content of a known format. */
export async function prepareDocument(
  format: DocumentFormat,
  content: string | Uint8Array,
  options: ChunkingOptions = {},
): Promise<{ parsed: ParsedDocument; chunks: DocumentChunk[] }> {
  const parsed = await parseDocument(format, content);
  return { parsed, chunks: chunkDocument(parsed, options) };
}

/** Decodes standard or URL-safe base64 (whitespace ignored); null when it is not base64. */
export function decodeBase64(value: string): Uint8Array | null {
  const compact = value.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return null;
  try {
    const binary = atob(compact.padEnd(compact.length + ((4 - (compact.length % 4)) % 4), '='));
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
    return bytes;
  } catch {
    return null;
  }
}

/** SHA-256 of bytes, as lowercase hex. */
export async function sha256OfBytes(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
