import {
  collapseWhitespace,
  normaliseText,
  type ParsedBlock,
  type ParsedDocument,
} from './parsed-document.ts';

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+/;
const TABLE_ROW = /^ {0,3}\|/;
const TABLE_RULE = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/;

/** Inline Markdown to plain text: links keep their text, images their alt text, emphasis goes. */
export function stripInlineMarkdown(text: string): string {
  return text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[^\w*])([*_])(?=\S)([^*_\n]*?\S)\2(?=[^\w*]|$)/g, '$1$3')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/<\/?[a-z][^>]*>/gi, '');
}

interface Pending {
  kind: ParsedBlock['kind'];
  lines: string[];
}

/**
 * Markdown by structure: ATX and setext headings build the heading path; paragraphs, lists,
 * tables and fenced code become blocks. Front matter is dropped (its `title:` is kept), and the
 * first level-1 heading is the title.
 */
export function parseMarkdown(content: string): ParsedDocument {
  const lines = normaliseText(content).split('\n');
  const blocks: ParsedBlock[] = [];
  const headings: string[] = [];
  let title: string | null = null;
  let pending: Pending | null = null;
  let index = 0;

  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, position) => position > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) {
      const match = lines.slice(1, end).find((line) => /^title:\s*/i.test(line));
      if (match) title = match.replace(/^title:\s*/i, '').replace(/^["']|["']$/g, '') || null;
      index = end + 1;
    }
  }

  const flush = () => {
    if (!pending) return;
    const raw = pending.kind === 'code' ? pending.lines.join('\n').trim() : pending.lines.join('\n');
    const text =
      pending.kind === 'code'
        ? raw
        : pending.kind === 'text'
          ? collapseWhitespace(stripInlineMarkdown(raw))
          : raw
              .split('\n')
              .map((line) => collapseWhitespace(stripInlineMarkdown(line)))
              .filter((line) => line !== '')
              .join('\n');
    if (text !== '') blocks.push({ headings: [...headings], kind: pending.kind, text });
    pending = null;
  };
  const setHeading = (level: number, text: string) => {
    flush();
    const heading = collapseWhitespace(stripInlineMarkdown(text));
    headings.length = Math.min(headings.length, level - 1);
    while (headings.length < level - 1) headings.push('');
    headings.push(heading);
    if (level === 1 && title === null && heading !== '') title = heading;
  };
  const append = (kind: ParsedBlock['kind'], line: string) => {
    if (pending && pending.kind !== kind) flush();
    pending ??= { kind, lines: [] };
    pending.lines.push(line);
  };

  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      for (index += 1; index < lines.length; index += 1) {
        const inner = lines[index] ?? '';
        if (inner.trim().startsWith(marker[0]?.repeat(marker.length) ?? marker)) break;
        body.push(inner);
      }
      pending = { kind: 'code', lines: body };
      flush();
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      setHeading(atx[1]?.length ?? 1, atx[2] ?? '');
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    const current = pending as Pending | null;
    if (underline && current?.kind === 'text' && current.lines.length === 1) {
      const [text = ''] = current.lines;
      pending = null;
      setHeading(underline[1]?.startsWith('=') ? 1 : 2, text);
      continue;
    }
    if (line.trim() === '') {
      // A blank line ends a paragraph; lists and tables continue across it only if the next line does.
      const next = lines[index + 1] ?? '';
      if (!(current?.kind === 'list' && (LIST_ITEM.test(next) || /^\s{2,}\S/.test(next)))) flush();
      continue;
    }
    if (THEMATIC_BREAK.test(line)) {
      flush();
      continue;
    }
    if (TABLE_ROW.test(line)) {
      if (!TABLE_RULE.test(line))
        append(
          'table',
          line
            .trim()
            .replace(/^\||\|$/g, '')
            .split('|')
            .join(' | '),
        );
      continue;
    }
    if (LIST_ITEM.test(line)) {
      append('list', `- ${line.replace(LIST_ITEM, '')}`);
      continue;
    }
    if (current?.kind === 'list' && /^\s{2,}\S/.test(line)) {
      current.lines.push(`  ${line.trim()}`);
      continue;
    }
    append('text', line.replace(/^ {0,3}>[ \t]?/, ''));
  }
  flush();
  return { title, blocks };
}
