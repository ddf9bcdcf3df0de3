import { z } from '@hono/zod-openapi';
import { ERROR_CODES, ROLES } from '@lumay/shared';

/** Shared OpenAPI schemas: errors, pagination, ids. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error responses every authenticated route can give. */
export const standardErrors = {
  400: errorResponse('Invalid input'),
  401: errorResponse('Missing or invalid credentials'),
  403: errorResponse('Missing permission'),
  404: errorResponse('Not found (including another tenant’s resource)'),
  409: errorResponse('Conflict'),
  413: errorResponse('Body too large'),
  429: errorResponse('Rate limited'),
  503: errorResponse('Dependency unavailable'),
} as const;

export const RoleSchema = z.enum(ROLES).openapi('Role');

export const PaginationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Page size (1–100)' }),
  cursor: z.string().min(1).max(200).optional().openapi({ description: 'Opaque cursor from `nextCursor`' }),
});

export function idParam<Name extends string = 'id'>(prefix: string, name: Name = 'id' as Name) {
  const schema = z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `must be an id starting with "${prefix}_"`)
    .openapi({ param: { name, in: 'path' }, example: `${prefix}_01JD4X3Y5Z6A7B8C9D0E1F2G3H` });
  return z.strictObject({ [name]: schema } as Record<Name, typeof schema>);
}

/**
 * Whether a parsed JSON value nests objects/arrays at most `maxDepth` levels. Iterative on purpose:
 * a body nested thousands deep overflows the stack of any recursive walk (JSON.stringify, audit
 * canonicalisation, the jsonb parser), which would turn bad input into a 500.
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= maxDepth) return false;
    for (const child of Object.values(item.value)) pending.push({ value: child, depth: item.depth + 1 });
  }
  return true;
}

/** Request body helper: JSON only, required, validated. */
export const jsonBody = <Schema extends z.ZodType>(schema: Schema) => ({
  body: { required: true, content: { 'application/json': { schema } } },
});

export const jsonResponse = <Schema extends z.ZodType>(description: string, schema: Schema) => ({
  description,
  content: { 'application/json': { schema } },
});

export const page = <Schema extends z.ZodType>(item: Schema) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const security = [{ bearerAuth: [] }];
