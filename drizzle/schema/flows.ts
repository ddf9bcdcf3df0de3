import { integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * A conversation flow: the editable draft plus a pointer to the published version. Published
 * versions live in `flow_versions` and are immutable.
 */
export const flows = pgTable(
  'flows',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id'),
    name: text('name').notNull(),
    description: text('description'),
    draft: jsonb('draft').$type<Record<string, unknown>>().notNull(),
    draftRevision: integer('draft_revision').notNull().default(1),
    publishedVersion: integer('published_version'),
    createdBy: text('created_by'),
    ...timestamps(),
  },
  (table) => [uniqueIndex('flows_tenant_name_key').on(table.tenantId, table.name)],
);
