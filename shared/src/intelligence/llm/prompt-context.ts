import type { ContextDocument, LanguageModelRequest } from './language-model.ts';

/** The line that opens the context block in a rendered system prompt. */
export const CONTEXT_HEADER = 'Context (answer from these passages and cite their ids in square brackets):';

const CONTEXT_LINE = /^\[([^\]\s]+)\]\s*(?:\(([^)]*)\)\s*)?(.+)$/;

function renderDocument(document: ContextDocument): string {
  const text = document.text.replace(/\s+/g, ' ').trim();
  const source = document.source ? ` (${document.source.replace(/[()]/g, '')})` : '';
  return `[${document.id}]${source} ${text}`;
}

/**
 * The system prompt hosted models receive: the request's system text followed by the retrieved
 * passages, one per line as `[id] (source) text`. Undefined when there is neither.
 */
export function renderSystemPrompt(
  request: Pick<LanguageModelRequest, 'system' | 'context'>,
): string | undefined {
  const context = request.context ?? [];
  const parts: string[] = [];
  if (request.system !== undefined && request.system.trim() !== '') parts.push(request.system);
  if (context.length > 0) parts.push([CONTEXT_HEADER, ...context.map(renderDocument)].join('\n'));
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

/**
 * Reads back the passages of a system prompt rendered by {@link renderSystemPrompt}, so a system
 * prompt assembled upstream (e.g. by the RAG layer) still grounds the offline model.
 */
export function parseContextFromSystem(system: string | undefined): ContextDocument[] {
  if (system === undefined) return [];
  const start = system.indexOf(CONTEXT_HEADER);
  if (start < 0) return [];
  const documents: ContextDocument[] = [];
  for (const line of system.slice(start + CONTEXT_HEADER.length).split('\n')) {
    const match = CONTEXT_LINE.exec(line.trim());
    if (!match) continue;
    const [, id, source, text] = match;
    if (id === undefined || text === undefined) continue;
    documents.push(source === undefined ? { id, text } : { id, text, source });
  }
  return documents;
}

/** The system text without a rendered context block. */
export function stripContextFromSystem(system: string | undefined): string | undefined {
  if (system === undefined) return undefined;
  const start = system.indexOf(CONTEXT_HEADER);
  return start < 0 ? system : system.slice(0, start).trim();
}
