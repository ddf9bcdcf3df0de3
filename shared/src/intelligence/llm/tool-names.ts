/**
 * Tool names are namespaced with dots (`orders.lookup`, `crm.find_contact`), but the OpenAI and
 * Anthropic wire formats accept only `^[a-zA-Z0-9_-]{1,64}$`. A codec maps each declared name to a
 * unique wire name for one request and back again for the model's tool calls.
 */
export interface ToolNameCodec {
  toWire(name: string): string;
  fromWire(wireName: string): string;
}

const WIRE_NAME_MAX = 64;

function sanitize(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, WIRE_NAME_MAX);
  return cleaned === '' ? 'tool' : cleaned;
}

/** Builds the codec for the tool names one request mentions (declared tools and history). */
export function createToolNameCodec(names: Iterable<string>): ToolNameCodec {
  const toWire = new Map<string, string>();
  const fromWire = new Map<string, string>();
  for (const name of names) {
    if (toWire.has(name)) continue;
    const base = sanitize(name);
    let candidate = base;
    for (let suffix = 2; fromWire.has(candidate); suffix += 1) {
      const tail = `_${suffix}`;
      candidate = `${base.slice(0, WIRE_NAME_MAX - tail.length)}${tail}`;
    }
    toWire.set(name, candidate);
    fromWire.set(candidate, name);
  }
  return {
    toWire: (name) => toWire.get(name) ?? sanitize(name),
    fromWire: (wireName) => fromWire.get(wireName) ?? wireName,
  };
}

/** Every tool name a request mentions, declared tools first. */
export function toolNamesOf(request: {
  readonly tools?: readonly { readonly name: string }[];
  readonly messages: readonly {
    readonly role: string;
    readonly toolCalls?: readonly { readonly name: string }[];
    readonly toolName?: string;
  }[];
}): string[] {
  const names = (request.tools ?? []).map((tool) => tool.name);
  for (const message of request.messages) {
    for (const call of message.toolCalls ?? []) names.push(call.name);
    if (message.toolName !== undefined) names.push(message.toolName);
  }
  return names;
}
