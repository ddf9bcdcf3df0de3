import { integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns.ts';
import { flows } from './flows.ts';
import { tenantId } from './tenant-column.ts';

/** An immutable published flow definition; the application role may insert and read, never change. */
export const flowVersions = pgTable(
  'flow_versions',
  {
    id: id(),
    tenantId: tenantId(),
    flowId: text('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    contentHash: text('content_hash').notNull(),
    note: text('note'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('flow_versions_flow_version_key').on(table.tenantId, table.flowId, table.version)],
);
