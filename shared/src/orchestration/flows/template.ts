import { EXPRESSION_ROOTS, type ExpressionScope } from './expression.ts';
import { FORBIDDEN_KEYS, readMember, rootValue } from './expression-eval.ts';
import { stringifyValue } from './expression-values.ts';

/**
 * Text templates: literal text with `{{ path }}` placeholders, e.g. `Order {{ slots.orderId }} ships
 * {{vars.order.eta}}`. Placeholders are paths only (no expressions): a root (`slots`, `vars`, `input`,
 * `result`, `env`) followed by `.name` or `.0` segments. A missing value renders as an empty string; values
 * are stringified by `stringifyValue` (lists of scalars joined with ", ", records as JSON). `\{{` renders
 * a literal `{{`.
 */

/** The longest template accepted (matches the definition schema). */
export const MAX_TEMPLATE_LENGTH = 4000;
/** The most placeholders one template may hold. */
export const MAX_TEMPLATE_PLACEHOLDERS = 100;

/** A template syntax error; `position` is a 0-based offset into the template. */
export class TemplateError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'TemplateError';
    this.position = position;
  }
}

/** A parsed template: alternating literal text and placeholder paths. */
export interface ParsedTemplate {
  readonly source: string;
  readonly parts: ReadonlyArray<{ text: string } | { path: string; segments: readonly string[] }>;
}

const SEGMENT = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+)$/;
const ROOTS: ReadonlySet<string> = new Set(EXPRESSION_ROOTS);

function parsePath(raw: string, position: number): string[] {
  const path = raw.trim();
  if (path === '') throw new TemplateError('empty placeholder {{ }}', position);
  const segments = path.split('.');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw new TemplateError(
        `placeholder '${path}' is not a path like slots.orderId (no expressions)`,
        position,
      );
    }
    if (FORBIDDEN_KEYS.has(segment))
      throw new TemplateError(`property '${segment}' is not allowed`, position);
  }
  const [root = ''] = segments;
  if (!ROOTS.has(root)) {
    throw new TemplateError(
      `placeholder '${path}' must start with one of ${EXPRESSION_ROOTS.join(', ')}`,
      position,
    );
  }
  return segments;
}

/** Parses a template; throws {@link TemplateError} on unbalanced braces or a placeholder that is not a path. */
export function parseTemplate(template: string): ParsedTemplate {
  if (typeof template !== 'string') throw new TemplateError('template must be a string', 0);
  if (template.length > MAX_TEMPLATE_LENGTH) {
    throw new TemplateError(`template is longer than ${MAX_TEMPLATE_LENGTH} characters`, 0);
  }
  const parts: Array<{ text: string } | { path: string; segments: string[] }> = [];
  let text = '';
  let index = 0;
  let placeholders = 0;
  while (index < template.length) {
    if (template.startsWith('\\{{', index)) {
      // An escaped opening makes the whole `{{ … }}` literal text.
      const close = template.indexOf('}}', index + 3);
      const end = close < 0 ? index + 3 : close + 2;
      text += template.slice(index + 1, end);
      index = end;
      continue;
    }
    if (template.startsWith('}}', index)) throw new TemplateError("'}}' without an opening '{{'", index);
    if (!template.startsWith('{{', index)) {
      text += template[index];
      index += 1;
      continue;
    }
    const close = template.indexOf('}}', index + 2);
    const nextOpen = template.indexOf('{{', index + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      throw new TemplateError("'{{' is not closed with '}}'", index);
    }
    placeholders += 1;
    if (placeholders > MAX_TEMPLATE_PLACEHOLDERS) {
      throw new TemplateError(`a template holds at most ${MAX_TEMPLATE_PLACEHOLDERS} placeholders`, index);
    }
    const segments = parsePath(template.slice(index + 2, close), index);
    if (text) parts.push({ text });
    text = '';
    parts.push({ path: segments.join('.'), segments });
    index = close + 2;
  }
  if (text) parts.push({ text });
  return { source: template, parts };
}

/** Checks a template: the syntax error, or `undefined` when it is fine. */
export function checkTemplate(template: string): TemplateError | undefined {
  try {
    parseTemplate(template);
    return undefined;
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
}

/** Renders a template against a scope (throws {@link TemplateError} when the template is malformed). */
export function renderTemplate(template: string | ParsedTemplate, scope: ExpressionScope): string {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  let output = '';
  for (const part of parsed.parts) {
    if ('text' in part) {
      output += part.text;
      continue;
    }
    const [root = '', ...rest] = part.segments;
    let value: unknown = rootValue(root, scope);
    for (const segment of rest) value = readMember(value, segment);
    output += stringifyValue(value);
  }
  return output;
}

/** The distinct paths a template reads, in order of appearance, e.g. `['slots.orderId']`. */
export function templateReferences(template: string | ParsedTemplate): string[] {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  const found = new Set<string>();
  for (const part of parsed.parts) if ('path' in part) found.add(part.path);
  return [...found];
}
