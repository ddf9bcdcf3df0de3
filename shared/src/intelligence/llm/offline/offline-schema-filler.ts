import { overlap, stem, termSet, words } from './offline-text.ts';

/*
 * Fills a JSON schema from what the user wrote, deterministically: enum and literal fields get the
 * option most similar to the text (by shared terms with the value and its description), numbers
 * the figure next to a word of the field's name ("order 42" for orderId), formatted strings what
 * matches their format, free strings the user's text. What cannot be found is left out.
 */

/** Where values come from. */
export interface FillSource {
  /** Texts to read values from, most relevant first (the latest user message first). */
  readonly texts: readonly string[];
  /**
   * Strict: a required field that cannot be found makes the whole object unfillable (used before
   * calling a tool). Lenient: it is left out, and the caller's validation reports it.
   */
  readonly strict: boolean;
}

type Schema = { readonly [key: string]: unknown };

interface Option {
  readonly value: unknown;
  readonly description: string | undefined;
}

const FALLBACK_OPTIONS = ['other', 'unknown', 'none', 'general'];

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function typesOf(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type))
    return schema.type.filter((type): type is string => typeof type === 'string');
  if (isSchema(schema.properties)) return ['object'];
  return [];
}

function optionScore(option: Option, query: ReadonlySet<string>): [number, number] {
  const optionTerms = termSet(`${String(option.value)} ${option.description ?? ''}`);
  const shared = overlap(query, optionTerms);
  return [shared, optionTerms.size === 0 ? 0 : shared / optionTerms.size];
}

/** The option most similar to the texts; ties go to the earlier option. */
function chooseOption(options: readonly Option[], source: FillSource): unknown {
  for (const candidate of source.texts) {
    const query = termSet(candidate);
    let best: Option | undefined;
    let bestScore: [number, number] = [0, 0];
    for (const option of options) {
      const score = optionScore(option, query);
      if (score[0] > bestScore[0] || (score[0] === bestScore[0] && score[1] > bestScore[1])) {
        best = option;
        bestScore = score;
      }
    }
    if (best) return best.value;
  }
  const fallback = options.find((option) => FALLBACK_OPTIONS.includes(String(option.value).toLowerCase()));
  return (fallback ?? options[0])?.value;
}

function optionsOf(schema: Schema): Option[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => ({ value, description: undefined }));
  const branches = schema.anyOf ?? schema.oneOf;
  if (!Array.isArray(branches) || branches.length === 0) return undefined;
  const options = branches.filter(isSchema);
  if (options.length !== branches.length || !options.every((option) => 'const' in option)) return undefined;
  return options.map((option) => ({ value: option.const, description: text(option.description) }));
}

function withinBounds(value: number, schema: Schema, integer: boolean): boolean {
  if (integer && !Number.isInteger(value)) return false;
  const minimum = number(schema.minimum);
  const maximum = number(schema.maximum);
  const exclusiveMinimum = number(schema.exclusiveMinimum);
  const exclusiveMaximum = number(schema.exclusiveMaximum);
  return (
    (minimum === undefined || value >= minimum) &&
    (maximum === undefined || value <= maximum) &&
    (exclusiveMinimum === undefined || value > exclusiveMinimum) &&
    (exclusiveMaximum === undefined || value < exclusiveMaximum)
  );
}

/** All figures of the texts that fit the schema, those right after a word of `name` first. */
function findNumbers(schema: Schema, source: FillSource, name: string, integer: boolean): number[] {
  const nameTerms = new Set(words(name).map(stem));
  const near: number[] = [];
  const other: number[] = [];
  for (const candidate of source.texts) {
    const tokens = candidate.match(/-?\d+(?:\.\d+)?|\p{L}+/gu) ?? [];
    for (const [index, token] of tokens.entries()) {
      const value = Number(token);
      if (!/\d/.test(token) || !withinBounds(value, schema, integer)) continue;
      const before = tokens.slice(Math.max(0, index - 3), index).map((word) => stem(word.toLowerCase()));
      (before.some((word) => nameTerms.has(word)) ? near : other).push(value);
    }
  }
  return [...near, ...other];
}

const FORMAT_PATTERNS: Readonly<Record<string, RegExp>> = {
  email: /[^\s@<>()]+@[^\s@<>()]+\.[a-z]{2,}/i,
  date: /\b\d{4}-\d{2}-\d{2}\b/,
  'date-time': /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})\b/,
  uri: /https?:\/\/[^\s<>"]+/,
  url: /https?:\/\/[^\s<>"]+/,
  uuid: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i,
};

function patternOf(schema: Schema): RegExp | undefined {
  const format = text(schema.format);
  if (format !== undefined && FORMAT_PATTERNS[format]) return FORMAT_PATTERNS[format];
  const pattern = text(schema.pattern);
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern.replace(/^\^/, '').replace(/\$$/, ''), 'u');
  } catch {
    return undefined;
  }
}

function fillString(schema: Schema, source: FillSource): string | undefined {
  const pattern = patternOf(schema);
  if (pattern) {
    for (const candidate of source.texts) {
      const match = pattern.exec(candidate);
      if (match) return match[0];
    }
    return undefined;
  }
  const first = source.texts[0]?.trim();
  if (first === undefined || first === '') return undefined;
  const maxLength = number(schema.maxLength);
  return maxLength === undefined ? first : first.slice(0, maxLength);
}

function fillBoolean(name: string, source: FillSource): boolean {
  const first = source.texts[0] ?? '';
  const mentioned = overlap(termSet(name), termSet(first)) > 0;
  return mentioned && !/\b(no|not|never|don't|dont|without)\b/i.test(first);
}

function fillArray(schema: Schema, source: FillSource, name: string, root: Schema): unknown[] | undefined {
  const items = isSchema(schema.items) ? schema.items : {};
  const minItems = number(schema.minItems) ?? 0;
  const options = optionsOf(items);
  let values: unknown[] = [];
  if (options) {
    const query = termSet(source.texts.join(' '));
    values = options.filter((option) => optionScore(option, query)[0] > 0).map((option) => option.value);
  } else if (typesOf(items).some((type) => type === 'number' || type === 'integer')) {
    values = findNumbers(items, source, name, !typesOf(items).includes('number'));
  }
  if (values.length < minItems) {
    const single = fillValue(items, source, name, root);
    if (single === undefined) return source.strict ? undefined : values;
    while (values.length < minItems) values.push(single);
  }
  const maxItems = number(schema.maxItems);
  return maxItems === undefined ? values : values.slice(0, maxItems);
}

function fillObject(schema: Schema, source: FillSource, root: Schema): Record<string, unknown> | undefined {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  const result: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) {
    let value = fillValue(property, source, key, root);
    if (value === undefined && isSchema(property) && 'default' in property) value = property.default;
    if (value !== undefined) result[key] = value;
    else if (required.includes(key) && source.strict) return undefined;
  }
  return result;
}

function resolveReference(schema: Schema, root: Schema): Schema {
  const reference = text(schema.$ref);
  if (reference === undefined) return schema;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(reference);
  const definitions = match?.[1] === undefined ? undefined : root[match[1]];
  const target = isSchema(definitions) && match?.[2] !== undefined ? definitions[match[2]] : undefined;
  return isSchema(target) ? target : schema;
}

function fillValue(input: unknown, source: FillSource, name: string, root: Schema): unknown {
  if (!isSchema(input)) return undefined;
  const schema = resolveReference(input, root);
  if ('const' in schema) return schema.const;
  const options = optionsOf(schema);
  if (options) return chooseOption(options, source);
  const branches = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branches)) {
    const candidates = branches.filter(isSchema);
    for (const branch of candidates.filter((candidate) => candidate.type !== 'null')) {
      const value = fillValue(branch, source, name, root);
      if (value !== undefined) return value;
    }
    return candidates.some((candidate) => candidate.type === 'null') ? null : undefined;
  }
  const types = typesOf(schema);
  for (const type of types.filter((candidate) => candidate !== 'null')) {
    const value =
      type === 'object'
        ? fillObject(schema, source, root)
        : type === 'array'
          ? fillArray(schema, source, name, root)
          : type === 'string'
            ? fillString(schema, source)
            : type === 'integer' || type === 'number'
              ? findNumbers(schema, source, name, type === 'integer')[0]
              : type === 'boolean'
                ? fillBoolean(name, source)
                : undefined;
    if (value !== undefined) return value;
  }
  return types.includes('null') ? null : undefined;
}

/**
 * Fills `schema` from the texts; undefined when the schema cannot be filled (in strict mode, when a
 * required field is missing).
 */
export function fillJsonSchema(schema: unknown, source: FillSource): unknown {
  return fillValue(schema, source, '', isSchema(schema) ? schema : {});
}
