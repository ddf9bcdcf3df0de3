import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** An intent an agent recognises, with labelled example utterances. */
export const intents = pgTable(
  'intents',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    examples: text('examples').array().notNull().default([]),
    ...timestamps(),
  },
  (table) => [
    uniqueIndex('intents_agent_name_key').on(table.tenantId, table.agentId, table.name),
    index('intents_agent_idx').on(table.tenantId, table.agentId),
  ],
);
