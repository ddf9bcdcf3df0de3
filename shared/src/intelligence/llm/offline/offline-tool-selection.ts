import type { JsonSchema, ToolChoice, ToolDefinition } from '../language-model.ts';
import { fillJsonSchema } from './offline-schema-filler.ts';
import { overlap, termSet } from './offline-text.ts';

/** A tool the offline model decided to call. */
export interface OfflineToolSelection {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** A shared name term counts double: it is the strongest evidence of intent. */
const NAME_WEIGHT = 2;
/** One shared name term, or two description terms, before a tool is worth calling unasked. */
const MIN_SCORE = 2;

function propertyText(schema: JsonSchema): string {
  const properties = schema.properties;
  if (typeof properties !== 'object' || properties === null) return '';
  return Object.entries(properties)
    .map(([key, property]) => {
      const description =
        typeof property === 'object' && property !== null && 'description' in property
          ? property.description
          : '';
      return `${key} ${typeof description === 'string' ? description : ''}`;
    })
    .join(' ');
}

function scoreTool(tool: ToolDefinition, query: ReadonlySet<string>): number {
  const nameScore = overlap(query, termSet(tool.name)) * NAME_WEIGHT;
  const descriptionScore = overlap(query, termSet(`${tool.description} ${propertyText(tool.inputSchema)}`));
  return nameScore + descriptionScore;
}

function fillArguments(tool: ToolDefinition, texts: readonly string[], strict: boolean) {
  const value = fillJsonSchema(tool.inputSchema, { texts, strict });
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Picks the tool whose name and description share the most terms with the user's latest message
 * and fills its arguments from that message. Without a forcing `toolChoice`, a tool is called only
 * when it scores at least {@link MIN_SCORE} and all its required arguments were found.
 */
export function selectToolCall(
  tools: readonly ToolDefinition[],
  toolChoice: ToolChoice | undefined,
  texts: readonly string[],
): OfflineToolSelection | undefined {
  if (toolChoice === 'none' || tools.length === 0) return undefined;
  if (typeof toolChoice === 'object') {
    const forced = tools.find((tool) => tool.name === toolChoice.name);
    if (!forced) return undefined;
    return { name: forced.name, arguments: fillArguments(forced, texts, false) ?? {} };
  }
  const query = termSet(texts[0] ?? '');
  const ranked = tools
    .map((tool, order) => ({ tool, order, score: scoreTool(tool, query) }))
    .sort((left, right) => right.score - left.score || left.order - right.order);
  for (const { tool, score } of ranked) {
    if (toolChoice !== 'required' && score < MIN_SCORE) break;
    const args = fillArguments(tool, texts, toolChoice !== 'required');
    if (args) return { name: tool.name, arguments: args };
  }
  return undefined;
}
