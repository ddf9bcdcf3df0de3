import { jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { secrets } from './secrets.ts';
import { tenantId } from './tenant-column.ts';

/** A tenant's configured LLM provider connection; the API key lives encrypted in `secrets`. */
export const modelProviders = pgTable(
  'model_providers',
  {
    id: id(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    provider: text('provider', { enum: ['openai', 'anthropic', 'openai-compatible', 'offline'] }).notNull(),
    baseUrl: text('base_url'),
    defaultModel: text('default_model'),
    secretId: text('secret_id').references(() => secrets.id, { onDelete: 'set null' }),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [uniqueIndex('model_providers_tenant_name_key').on(table.tenantId, table.name)],
);
