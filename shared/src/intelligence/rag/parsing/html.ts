import { Parser } from 'htmlparser2';
import { collapseWhitespace, type ParsedBlock, type ParsedDocument } from './parsed-document.ts';

/** Elements whose content is never document text. */
const SKIPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'canvas',
  'select',
  'button',
  'head',
]);
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'wbr',
]);
const BLOCKS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'aside',
  'header',
  'footer',
  'nav',
  'blockquote',
  'figure',
  'figcaption',
  'address',
  'dl',
  'dt',
  'dd',
  'ul',
  'ol',
  'table',
  'thead',
  'tbody',
  'caption',
  'form',
  'fieldset',
  'details',
  'summary',
  'body',
  'html',
]);
const HEADING = /^h([1-6])$/;

/**
 * Content hidden from readers is a classic way to poison retrieval (OWASP LLM08: white-on-white or
 * hidden text); such elements are dropped with everything inside them.
 */
function isHidden(attributes: Record<string, string>): boolean {
  if ('hidden' in attributes) return true;
  if (attributes['aria-hidden']?.toLowerCase() === 'true') return true;
  const style = (attributes.style ?? '').toLowerCase().replace(/\s+/g, '');
  return /(^|;)(display:none|visibility:hidden|font-size:0(px|em|rem|%)?(;|$)|opacity:0(;|$))/.test(style);
}

/**
 * HTML by structure: scripts, styles, hidden elements and other non-content are dropped; `h1`–`h6`
 * build the heading path; paragraphs, list items, table rows and `pre` become blocks. The `<title>`
 * (or the first `h1`) is the title. Entities are decoded by the parser.
 */
export function parseHtml(content: string): ParsedDocument {
  const blocks: ParsedBlock[] = [];
  const headings: string[] = [];
  // Tag names of open elements, to match closing tags and to know when a skipped subtree ends.
  const stack: { name: string; skip: boolean }[] = [];
  let skipDepth = 0;
  let buffer = '';
  let kind: ParsedBlock['kind'] = 'text';
  let headingLevel = 0;
  let headingText = '';
  let inTitle = false;
  let titleText = '';
  let firstH1: string | null = null;
  let preDepth = 0;
  let row: string[] | null = null;
  let cell = '';
  let inCell = false;

  const flush = () => {
    const text = kind === 'code' ? buffer.replace(/^\n+|\s+$/g, '') : collapseWhitespace(buffer);
    if (text !== '') blocks.push({ headings: [...headings], kind, text });
    buffer = '';
    kind = 'text';
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'title') {
          // <title> sits in <head>, which is skipped for text but read for the title.
          inTitle = titleText === '' && !stack.some((entry) => entry.name === 'svg' || entry.name === 'body');
          stack.push({ name, skip: true });
          skipDepth += 1;
          return;
        }
        const skip = skipDepth > 0 || SKIPPED.has(name) || isHidden(attributes);
        if (!VOID.has(name)) {
          stack.push({ name, skip });
          if (skip) skipDepth += 1;
        }
        if (skip) return;
        const heading = HEADING.exec(name);
        if (heading) {
          flush();
          headingLevel = Number(heading[1]);
          headingText = '';
        } else if (name === 'pre') {
          flush();
          preDepth += 1;
          kind = 'code';
        } else if (name === 'li') {
          flush();
          kind = 'list';
          buffer = '- ';
        } else if (name === 'tr') {
          flush();
          row = [];
        } else if ((name === 'td' || name === 'th') && row) {
          inCell = true;
          cell = '';
        } else if (name === 'br') {
          if (preDepth > 0) buffer += '\n';
          else if (inCell) cell += ' ';
          else buffer += ' ';
        } else if (name === 'img' && attributes.alt) {
          buffer += ` ${attributes.alt} `;
        } else if (BLOCKS.has(name) || name === 'hr') {
          flush();
        }
      },
      ontext(text) {
        if (inTitle) {
          titleText += text;
          return;
        }
        if (skipDepth > 0) return;
        if (headingLevel > 0) headingText += text;
        else if (inCell) cell += text;
        else buffer += text;
      },
      onclosetag(name) {
        if (VOID.has(name)) return;
        // Pop to the matching element (browsers close unclosed children with their parent).
        let position = stack.length - 1;
        while (position >= 0 && stack[position]?.name !== name) position -= 1;
        if (position < 0) return;
        const closed = stack.splice(position);
        skipDepth -= closed.filter((entry) => entry.skip).length;
        if (name === 'title') {
          inTitle = false;
          return;
        }
        if (skipDepth > 0 || closed[0]?.skip) return;
        const heading = HEADING.exec(name);
        if (heading && headingLevel > 0) {
          const text = collapseWhitespace(headingText);
          const level = headingLevel;
          headingLevel = 0;
          if (text === '') return;
          headings.length = Math.min(headings.length, level - 1);
          while (headings.length < level - 1) headings.push('');
          headings.push(text);
          if (level === 1) firstH1 ??= text;
        } else if (name === 'pre') {
          preDepth = Math.max(0, preDepth - 1);
          flush();
        } else if ((name === 'td' || name === 'th') && row) {
          row.push(collapseWhitespace(cell));
          inCell = false;
        } else if (name === 'tr' && row) {
          const cells = row.filter((value) => value !== '');
          row = null;
          if (cells.length > 0)
            blocks.push({ headings: [...headings], kind: 'table', text: cells.join(' | ') });
        } else if (name === 'li' || BLOCKS.has(name)) {
          flush();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(content);
  parser.end();
  flush();
  const title = collapseWhitespace(titleText) || firstH1;
  return {
    title: title || null,
    blocks: blocks.filter((block) => block.text !== '-' && block.text !== '- '),
  };
}
