/**
 * A strict, small XML reader for the TwiML our server returns, used by the simulated Twilio to run
 * it. Twilio rejects malformed documents (error 12100), so this refuses what a lenient HTML parser
 * would forgive: a bare `&`, `<` inside an attribute, mismatched or unclosed tags, duplicate
 * attributes, unknown entities, content after the root.
 */

/** An element with its attributes (entity-decoded) and children. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

/** Text content (entity-decoded). */
export interface XmlText {
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

/** The document is not well-formed XML. */
export class XmlSyntaxError extends Error {
  constructor(message: string, position: number) {
    super(`${message} at offset ${position}`);
    this.name = 'XmlSyntaxError';
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function decodeEntities(raw: string, offset: number, inAttribute: boolean): string {
  let out = '';
  for (let index = 0; index < raw.length; index++) {
    const character = raw[index] ?? '';
    if (character === '<') throw new XmlSyntaxError("'<' is not allowed here", offset + index);
    if (inAttribute && (character === '\t' || character === '\n' || character === '\r')) {
      out += ' '; // attribute-value normalisation
      continue;
    }
    if (character !== '&') {
      out += character;
      continue;
    }
    const end = raw.indexOf(';', index);
    if (end === -1) throw new XmlSyntaxError("bare '&' (escape it as &amp;)", offset + index);
    const entity = raw.slice(index + 1, end);
    const named = NAMED_ENTITIES[entity];
    if (named !== undefined) out += named;
    else if (/^#[0-9]+$/.test(entity)) out += String.fromCodePoint(Number(entity.slice(1)));
    else if (/^#x[0-9A-Fa-f]+$/.test(entity))
      out += String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    else throw new XmlSyntaxError(`unknown entity &${entity};`, offset + index);
    index = end;
  }
  return out;
}

/** Parses a well-formed XML document and returns its root element. */
export function parseXml(document: string): XmlElement {
  let position = 0;
  const fail = (message: string): never => {
    throw new XmlSyntaxError(message, position);
  };
  const skipWhitespace = () => {
    while (/\s/.test(document[position] ?? '')) position++;
  };
  const skipMisc = () => {
    for (;;) {
      skipWhitespace();
      if (document.startsWith('<!--', position)) {
        const end = document.indexOf('-->', position + 4);
        if (end === -1) fail('unterminated comment');
        position = end + 3;
      } else if (document.startsWith('<?', position) && !document.startsWith('<?xml', position)) {
        const end = document.indexOf('?>', position);
        if (end === -1) fail('unterminated processing instruction');
        position = end + 2;
      } else return;
    }
  };
  const readName = (): string => {
    NAME.lastIndex = position;
    const match = NAME.exec(document);
    if (match === null) return fail('expected a name');
    position += match[0].length;
    return match[0];
  };

  const readElement = (): XmlElement => {
    if (document[position] !== '<') fail("expected '<'");
    position++;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = position;
      skipWhitespace();
      if (document.startsWith('/>', position)) {
        position += 2;
        return { name, attributes, children: [] };
      }
      if (document[position] === '>') {
        position++;
        break;
      }
      if (position === before) fail('expected whitespace before an attribute');
      const attribute = readName();
      skipWhitespace();
      if (document[position] !== '=') fail(`expected '=' after ${attribute}`);
      position++;
      skipWhitespace();
      const quote = document[position];
      if (quote !== '"' && quote !== "'") return fail('attribute values must be quoted');
      const end = document.indexOf(quote, position + 1);
      if (end === -1) fail('unterminated attribute value');
      if (Object.hasOwn(attributes, attribute)) fail(`duplicate attribute ${attribute}`);
      attributes[attribute] = decodeEntities(document.slice(position + 1, end), position + 1, true);
      position = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (position >= document.length) fail(`unclosed <${name}>`);
      if (document.startsWith('</', position)) {
        position += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipWhitespace();
        if (document[position] !== '>') fail("expected '>'");
        position++;
        return { name, attributes, children };
      }
      if (document.startsWith('<!--', position)) {
        const end = document.indexOf('-->', position + 4);
        if (end === -1) fail('unterminated comment');
        position = end + 3;
      } else if (document.startsWith('<![CDATA[', position)) {
        const end = document.indexOf(']]>', position);
        if (end === -1) fail('unterminated CDATA');
        children.push({ text: document.slice(position + 9, end) });
        position = end + 3;
      } else if (document[position] === '<') {
        children.push(readElement());
      } else {
        const next = document.indexOf('<', position);
        const end = next === -1 ? document.length : next;
        children.push({ text: decodeEntities(document.slice(position, end), position, false) });
        position = end;
      }
    }
  };

  if (document.startsWith('<?xml', position)) {
    const end = document.indexOf('?>', position);
    if (end === -1) fail('unterminated XML declaration');
    position = end + 2;
  }
  skipMisc();
  const root = readElement();
  skipMisc();
  if (position !== document.length) fail('content after the root element');
  return root;
}

/** Parses a TwiML document: well-formed XML whose root is `<Response>`. */
export function parseTwiml(document: string): XmlElement {
  const root = parseXml(document);
  if (root.name !== 'Response') throw new XmlSyntaxError(`root is <${root.name}>, not <Response>`, 0);
  return root;
}

/** Child elements of `element`, optionally only those named `name`. */
export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (child): child is XmlElement => 'name' in child && (name === undefined || child.name === name),
  );
}

/** The concatenated, trimmed text content of `element`. */
export function textContent(element: XmlElement): string {
  return element.children
    .map((child) => ('text' in child ? child.text : textContent(child)))
    .join('')
    .trim();
}

/** `<Parameter name value/>` children as a record. */
export function parameterRecord(element: XmlElement): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const parameter of childElements(element, 'Parameter')) {
    const name = parameter.attributes.name;
    if (name !== undefined) parameters[name] = parameter.attributes.value ?? '';
  }
  return parameters;
}
