import { z } from 'zod';
import type { JsonSchema } from './language-model.ts';

/**
 * The JSON schema of a zod schema, as providers accept it: `z.toJSONSchema` output without the
 * `$schema` marker (OpenAI's strict mode and some gateways reject unknown top-level keys).
 */
export function toProviderJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _marker, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' });
  return rest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The sub-schemas of a schema node, by the keywords that hold schemas. */
function childSchemas(schema: Record<string, unknown>): unknown[] {
  const children: unknown[] = [];
  for (const key of ['properties', '$defs', 'definitions']) {
    const value = schema[key];
    if (isRecord(value)) children.push(...Object.values(value));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    const value = schema[key];
    if (Array.isArray(value)) children.push(...value);
  }
  for (const key of ['items', 'additionalProperties', 'not']) {
    if (isRecord(schema[key])) children.push(schema[key]);
  }
  return children;
}

/**
 * Whether OpenAI's strict structured outputs accept this schema: every object closes its
 * properties (`additionalProperties: false`) and requires all of them, recursively.
 */
export function isStrictJsonSchema(schema: unknown): boolean {
  if (!isRecord(schema)) return true;
  const properties = schema.properties;
  if (schema.type === 'object' || isRecord(properties)) {
    if (schema.additionalProperties !== false) return false;
    const keys = isRecord(properties) ? Object.keys(properties) : [];
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (!keys.every((key) => required.includes(key))) return false;
  }
  return childSchemas(schema).every(isStrictJsonSchema);
}

/** The instruction that asks a model without native structured outputs for a JSON reply. */
export function jsonInstruction(format: { name: string; description?: string; schema: JsonSchema }): string {
  const about = format.description ? ` (${format.description})` : '';
  return (
    `Reply with a single JSON object "${format.name}"${about} and nothing else: no prose, no code fences. ` +
    `It must match this JSON schema:\n${JSON.stringify(format.schema)}`
  );
}
