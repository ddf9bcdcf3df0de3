import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** An AI agent: its identity and configuration (model, voice, flow pins live in `config`). */
export const agents = pgTable(
  'agents',
  {
    id: id(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: ['draft', 'active', 'archived'] })
      .notNull()
      .default('draft'),
    language: text('language').notNull().default('en'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [
    index('agents_tenant_created_idx').on(table.tenantId, table.id),
    index('agents_tenant_status_idx').on(table.tenantId, table.status),
  ],
);
