import { pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';

/** A customer organisation. RLS: a session sees only the tenant named by `app.tenant_id`. */
export const tenants = pgTable('tenants', {
  id: id(),
  name: text('name').notNull(),
  status: text('status', { enum: ['active', 'suspended'] })
    .notNull()
    .default('active'),
  ...timestamps(),
});
